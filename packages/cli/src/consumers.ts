import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  bundleHandler,
  type RunnerConsumer,
  SandboxPool,
  type SandboxStats,
  type StreamHandler,
} from '@pipeline/local';
import { type ConsumerDefinition, mappingFunction, mappings } from '@pipeline/pipeline';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

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

/**
 * Loads the handler of every event source mapping of the pipeline definition (or of the
 * definitions given). By default each runs as Lambda runs it: the esbuild bundle the CDK
 * app deploys, built into a temporary directory, in sandboxes of its own with the given
 * environment, the function's heap limit and timeout. `in-process` imports the TypeScript
 * modules into this process instead, setting the environment on `process.env` first.
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
  const directory = mkdtempSync(join(tmpdir(), 'pipeline-bundles-'));
  try {
    const pools = await Promise.all(
      definitions.map(async (definition) => {
        const bundle = await bundleHandler({
          entry: definition.handler,
          outfile: join(directory, definition.name, 'index.mjs'),
          root: repositoryRoot,
        });
        return { definition, pool: new SandboxPool({ bundle, definition, environment }) };
      }),
    );
    let open = pools.length;
    return pools.map(({ definition, pool }) => ({
      definition,
      handler: pool.handler,
      sandbox: () => pool.stats(),
      close: async () => {
        await pool.close();
        if (--open === 0) rmSync(directory, { recursive: true, force: true });
      },
    }));
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
};
