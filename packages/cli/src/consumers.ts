import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RunnerConsumer, StreamHandler } from '@pipeline/local';
import { type ConsumerDefinition, mappingFunction, mappings } from '@pipeline/pipeline';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Loads the handler module of every event source mapping of the pipeline definition (or of
 * the definitions given), the same modules the CDK app bundles. Handlers read their
 * environment when loaded, so set it first.
 */
export const loadConsumers = async (
  environment: Readonly<Record<string, string>>,
  definitions: readonly ConsumerDefinition[] = mappings.map(mappingFunction),
): Promise<RunnerConsumer[]> => {
  Object.assign(process.env, environment);
  return Promise.all(
    definitions.map(async (definition) => {
      const module = (await import(
        pathToFileURL(resolve(repositoryRoot, definition.handler)).href
      )) as {
        handler?: StreamHandler;
      };
      if (typeof module.handler !== 'function') {
        throw new Error(`${definition.handler} does not export a handler function`);
      }
      return { definition, handler: module.handler };
    }),
  );
};
