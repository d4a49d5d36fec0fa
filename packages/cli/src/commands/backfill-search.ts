import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import { localAwsClientConfig } from '@pipeline/local';
import { EnvVar, openSearchClientConfig } from '@pipeline/pipeline';
import { backfill, createSearchClient } from '@pipeline/search';
import { DATA_DIR_USAGE, notSetMessage, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';

/** Usage line of the search commands' environment. */
export const SEARCH_ENV_USAGE = `Environment: ${EnvVar.openSearchUrl} (required), ${EnvVar.openSearchSigV4}=true and ${EnvVar.openSearchService} (es|aoss) to sign with SigV4, AWS_REGION`;

/** The search client from the environment, or what is missing. */
export const searchEnvironment = (env: NodeJS.ProcessEnv = process.env): Client | string =>
  env[EnvVar.openSearchUrl]
    ? createSearchClient(openSearchClientConfig(env))
    : notSetMessage(EnvVar.openSearchUrl, env);

const usage = `Usage: backfill-search [--segments <n>] [--resume-file <path>] [--prefix <p>] [--data-dir <dir>]

Indexes every user and order of the main table into fresh search indices, then switches
the read aliases to them. Live stream writes keep flowing during the run: the write
aliases move to the new indices first, and external versions let the newer state win.
Rerun with the same --resume-file to continue an interrupted run.

  --segments <n>        parallel Scan segments, 1 to 64 (default 4)
  --resume-file <path>  where per-segment progress is kept (default .backfill-search.json)
  --prefix <p>          prefix of the aliases and indices (default none)
${DATA_DIR_USAGE}

${SEARCH_ENV_USAGE}; ${EnvVar.tableName} (required), ${EnvVar.dynamodbEndpoint} (DynamoDB Local's URL)`;

/**
 * `backfill-search`: reindex the table into new indices with a progress bar, then switch.
 *
 * @example
 * npm run pipeline -- backfill-search --segments 8
 */
export const backfillSearchCommand: Command = {
  name: 'backfill-search',
  summary: 'Index the whole table into fresh search indices and switch the aliases',
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      segments: { type: 'string' },
      'resume-file': { type: 'string' },
      prefix: { type: 'string' },
    });
    const segments = Number(values.segments ?? '4');
    const tableName = process.env[EnvVar.tableName];
    const search = searchEnvironment();
    const problem =
      !Number.isInteger(segments) || segments < 1 || segments > 64
        ? '--segments must be an integer from 1 to 64'
        : !tableName
          ? notSetMessage(EnvVar.tableName)
          : typeof search === 'string'
            ? search
            : undefined;
    if (problem || !tableName || typeof search === 'string') {
      console.error(problem);
      console.error(usage);
      return 2;
    }
    const endpoint = process.env[EnvVar.dynamodbEndpoint];
    const dynamodb = new DynamoDBClient(endpoint ? localAwsClientConfig(endpoint) : {});
    try {
      // An estimate (DynamoDB refreshes it every few hours), good enough for an ETA.
      const described = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
      const bar = createProgressBar('backfill-search', described.Table?.ItemCount);
      let seen = 0;
      const result = await backfill({
        dynamodb,
        tableName,
        search,
        segments,
        resumeFile: values['resume-file'] ?? '.backfill-search.json',
        ...(values.prefix ? { prefix: values.prefix } : {}),
        onProgress: ({ scanned }) => {
          bar.tick(scanned - seen);
          seen = scanned;
        },
      });
      bar.finish();
      console.log(
        `${result.resumed ? 'resumed; ' : ''}${result.scanned} items scanned, ${result.indexed} documents indexed, ` +
          `${result.markersCopied} deleted markers carried over; aliases now read ${result.ordersIndex} and ${result.usersIndex}`,
      );
      return 0;
    } finally {
      dynamodb.destroy();
      await search.close();
    }
  },
};
