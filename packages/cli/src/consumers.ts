import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mappings } from '@pipeline/consumers';
import {
  bundleHandler,
  type RunnerConsumer,
  SandboxPool,
  type SandboxStats,
  type StreamHandler,
} from '@pipeline/local';
import { type ConsumerDefinition, mappingFunction } from '@pipeline/pipeline';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

// Beside the other caches of the local runtime (the OpenSearch engine, the JVM launchers).
const BUNDLE_CACHE = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'ddb-stream-pipeline',
  'bundles',
);

/** How handlers run locally: see the `handlers` setting. */
export type HandlerMode = 'bundle' | 'in-process';

/** A loaded mapping: what the runner runs, its sandboxes' figures, and how to stop them. */
export interface LoadedConsumer extends RunnerConsumer {
  /** Cold starts, init times, timeouts and crashes; undefined in-process. */
  readonly sandbox?: () => SandboxStats;
  close(): Promise<void>;
}

const importHandler = async (definition: ConsumerDefinition): Promise<StreamHandler> => {
  const module = (await import(
    pathToFileURL(resolve(repositoryRoot, definition.handler)).href
  )) as {
    handler?: StreamHandler;
  };
  if (typeof module.handler !== 'function') {
    throw new Error(`${definition.handler} does not export a handler function`);
  }
  return module.handler;
};

/** Bundles built for {@link loadConsumers}, one per mapping, in a directory of their own. */
export interface MappingBundles {
  readonly paths: ReadonlyMap<string, string>;
  /** Removes the bundles' directory. */
  dispose(): void;
}

/**
 * Builds the esbuild bundle the CDK app deploys for each mapping, into a temporary
 * directory. It needs no engine, so `npm start` builds while the engines start.
 *
 * @example
 * const bundles = await bundleMappings();
 */
export const bundleMappings = async (
  definitions: readonly ConsumerDefinition[] = mappings.map(mappingFunction),
): Promise<MappingBundles> => {
  const directory = mkdtempSync(join(tmpdir(), 'pipeline-bundles-'));
  const dispose = () => rmSync(directory, { recursive: true, force: true });
  try {
    const paths = await Promise.all(
      definitions.map(
        async (definition) =>
          [
            definition.name,
            await bundleHandler({
              entry: definition.handler,
              outfile: join(directory, definition.name, 'index.mjs'),
              root: repositoryRoot,
              cacheDirectory: BUNDLE_CACHE,
            }),
          ] as const,
      ),
    );
    return { paths: new Map(paths), dispose };
  } catch (error) {
    dispose();
    throw error;
  }
};

/**
 * Loads the handler of every event source mapping of the pipeline definition (or of the
 * definitions given). By default each runs as Lambda runs it: the esbuild bundle the CDK
 * app deploys (from `bundles`, or built now), in sandboxes of its own with the given
 * environment, the function's heap limit and timeout; closing the last consumer removes
 * the bundles. `in-process` imports the TypeScript modules into this process instead,
 * setting the environment on `process.env` first.
 *
 * @example
 * const consumers = await loadConsumers(engines.handlerEnvironment);
 * // ... run them ...
 * await Promise.all(consumers.map((consumer) => consumer.close()));
 */
export const loadConsumers = async (
  environment: Readonly<Record<string, string>>,
  definitions: readonly ConsumerDefinition[] = mappings.map(mappingFunction),
  mode: HandlerMode = 'bundle',
  bundles?: Promise<MappingBundles>,
): Promise<LoadedConsumer[]> => {
  if (mode === 'in-process') {
    Object.assign(process.env, environment);
    return Promise.all(
      definitions.map(async (definition) => ({
        definition,
        handler: await importHandler(definition),
        close: async () => {},
      })),
    );
  }
  const built = await (bundles ?? bundleMappings(definitions));
  let open = definitions.length;
  return definitions.map((definition) => {
    const bundle = built.paths.get(definition.name);
    if (!bundle) throw new Error(`no bundle was built for ${definition.name}`);
    const pool = new SandboxPool({ bundle, definition, environment });
    return {
      definition,
      handler: pool.handler,
      sandbox: () => pool.stats(),
      close: async () => {
        await pool.close();
        if (--open === 0) built.dispose();
      },
    };
  });
};
