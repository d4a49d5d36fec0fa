export {
  type Engine,
  isMavenDownload,
  openSearchVersion,
  type ResolveEngineOptions,
  resolveEngine,
} from './engine.js';
export {
  EngineResolveError,
  installAdvice,
  JdkMissingError,
  MavenMissingError,
  NodeStartError,
  OpenSearchLocalError,
} from './errors.js';
export {
  type OpenSearchNode,
  type StartOpenSearchNodeOptions,
  startOpenSearchNode,
} from './node.js';
