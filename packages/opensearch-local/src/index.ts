export {
  type Engine,
  isMavenDownload,
  openSearchVersion,
  type ResolveEngineOptions,
  resolveEngine,
} from './engine.js';
export {
  EngineResolveError,
  JdkMissingError,
  MavenMissingError,
  NodeStartError,
  OpenSearchLocalError,
} from './errors.js';
export {
  localNodeSettings,
  type OpenSearchNode,
  type StartOpenSearchNodeOptions,
  startOpenSearchNode,
} from './node.js';
