import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { aggregates, type MaintenanceOptions, rebuild } from '@pipeline/aggregates';
import { dynamoDbClientConfig, EnvVar } from '@pipeline/pipeline';
import { DATA_DIR_USAGE, notSetMessage, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';

/** Usage line of the aggregates commands' environment. */
export const AGGREGATES_ENV_USAGE = `Environment: ${EnvVar.tableName} and ${EnvVar.aggregatesTableName} (required), ${EnvVar.dynamodbEndpoint} (DynamoDB Local's URL)`;

/** The tables and client the aggregates commands use, from the environment; `undefined` names what is missing. */
export const aggregatesEnvironment = (
  env: NodeJS.ProcessEnv = process.env,
): { tableName: string; aggregatesTableName: string; client: DynamoDBClient } | string => {
  const tableName = env[EnvVar.tableName];
  const aggregatesTableName = env[EnvVar.aggregatesTableName];
  if (!tableName) return notSetMessage(EnvVar.tableName, env);
  if (!aggregatesTableName) return notSetMessage(EnvVar.aggregatesTableName, env);
  const client = new DynamoDBClient(dynamoDbClientConfig(env));
  return { tableName, aggregatesTableName, client };
};

/** Parses `--segments`, the parallel Scan segments of the main table. */
export const parseSegments = (raw: string | undefined): number | undefined => {
  const segments = Number(raw ?? '4');
  return Number.isInteger(segments) && segments >= 1 && segments <= 64 ? segments : undefined;
};

/**
 * Runs an aggregates command that scans the main table: parses `--segments`, reads the
 * environment, shows a progress bar while `scan` runs, then lets its report print.
 * Resolves to the exit code: 2 on a usage error.
 */
export const runAggregatesScan = async (
  args: readonly string[],
  usage: string,
  scan: (options: MaintenanceOptions & { client: DynamoDBClient }) => Promise<() => number>,
): Promise<number> => {
  const { values } = parseCommandArgs(args, { segments: { type: 'string' } });
  const segments = parseSegments(values.segments);
  const environment = aggregatesEnvironment();
  if (segments === undefined || typeof environment === 'string') {
    console.error(
      segments === undefined ? '--segments must be an integer from 1 to 64' : environment,
    );
    console.error(usage);
    return 2;
  }
  const bar = createProgressBar('scanning main table');
  let seen = 0;
  try {
    const report = await scan({
      ...environment,
      declarations: aggregates,
      segments,
      onProgress: (scanned) => {
        bar.tick(scanned - seen);
        seen = scanned;
      },
    });
    bar.finish();
    return report();
  } finally {
    environment.client.destroy();
  }
};

const usage = `Usage: rebuild-aggregates [--segments <n>] [--data-dir <dir>]

Recomputes every aggregate from the main table into a fresh generation, then switches
readers and the consumer to it in one conditional write. Lifetime counts of items no
longer in the main table (expired views, deleted orders) are carried over.
Pause the update-aggregates event source mapping while it runs.

  --segments <n>   parallel Scan segments of the main table, 1 to 64 (default 4)
${DATA_DIR_USAGE}

${AGGREGATES_ENV_USAGE}`;

/**
 * `rebuild-aggregates`: recompute and switch generations, with a progress bar.
 *
 * @example
 * npm run pipeline -- rebuild-aggregates --segments 8
 */
export const rebuildAggregatesCommand: Command = {
  name: 'rebuild-aggregates',
  summary: 'Recompute every aggregate from the main table and switch to the new counters',
  usage,
  run: (args) =>
    runAggregatesScan(args, usage, async (options) => {
      const result = await rebuild(options);
      return () => {
        console.log(
          `generation ${result.previousGeneration} → ${result.generation}: ${result.scanned} items scanned, ` +
            `${result.counters} counters and ${result.states} states written, ${result.invalid} unreadable items`,
        );
        return 0;
      };
    }),
};
