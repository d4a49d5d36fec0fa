import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  Access,
  AGGREGATES_AND_ARCHIVE_READING,
  CONSUMER_DEFAULTS,
  type ConsumerModule,
  dynamoDbClientConfig,
  EnvVar,
  entityTypeFilters,
  requiredSetting,
} from '@pipeline/pipeline';
import { type LogSink, type MetricsSink, processBatch } from '@pipeline/streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { applyChanges, type DynamoDbSender, type RetryPolicy } from './apply.js';
import { aggregates, sourceTypes } from './declarations.js';
import { DEFAULT_REPLAY_HORIZON_SECONDS } from './plan.js';
import type { AggregateDeclaration } from './types.js';

/** Names of the EMF metrics the consumer adds beside the stream processor's. */
export const AggregatesMetric = {
  /** Records already applied (same sequence number as the stored state). */
  duplicates: 'AggregatesDuplicates',
  /** Records older than the stored state, refused. */
  stale: 'AggregatesStale',
  /** Records folded into a later record of the same item in the batch. */
  coalesced: 'AggregatesCoalesced',
  counterWrites: 'AggregatesCounterWrites',
  transactions: 'AggregatesTransactions',
} as const;

/** Options of {@link createAggregatesConsumer}. */
export interface AggregatesConsumerOptions extends RetryPolicy {
  /** The aggregates table. */
  readonly tableName: string;
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDbSender;
  /** @default every declared aggregate */
  readonly declarations?: readonly AggregateDeclaration[];
  /** Your function's Powertools Logger. */
  readonly logger?: LogSink;
  /** Your function's Powertools Metrics; the consumer adds, you publish. */
  readonly metrics?: MetricsSink;
  /** Seconds a removed item's state is kept to refuse replays. @default 48 h */
  readonly replayHorizonSeconds?: number;
  /** Clock in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/**
 * Creates the `update-aggregates` Lambda handler: decodes the batch (poison records are
 * reported, the rest applied), applies it with {@link applyChanges}, and returns
 * `{ batchItemFailures }`.
 *
 * @example
 * export const handler = createAggregatesConsumer({ tableName: process.env.AGGREGATES_TABLE_NAME!, client, logger, metrics });
 */
export const createAggregatesConsumer = (
  options: AggregatesConsumerOptions,
): ((event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>) => {
  const client = options.client ?? new DynamoDBClient({});
  const declarations = options.declarations ?? aggregates;
  const now = options.now ?? Date.now;
  return (event) =>
    processBatch(
      event,
      async (changes, ctx) => {
        const result = await applyChanges(changes, {
          ...options,
          client,
          declarations,
          now: Math.floor(now() / 1000),
          replayHorizonSeconds: options.replayHorizonSeconds ?? DEFAULT_REPLAY_HORIZON_SECONDS,
        });
        const { metrics } = options;
        metrics?.addMetric(AggregatesMetric.duplicates, 'Count', result.skips.duplicates);
        metrics?.addMetric(AggregatesMetric.stale, 'Count', result.skips.stale);
        metrics?.addMetric(AggregatesMetric.coalesced, 'Count', result.skips.coalesced);
        metrics?.addMetric(AggregatesMetric.counterWrites, 'Count', result.counterWrites);
        metrics?.addMetric(AggregatesMetric.transactions, 'Count', result.transactions);
        if (result.skips.stale > 0)
          ctx.logger.debug('refused records older than the applied state', {
            stale: result.skips.stale,
          });
        return { failures: result.failures };
      },
      { logger: options.logger, metrics: options.metrics, now },
    );
};

/**
 * The `update-aggregates` consumer: its mapping settings, its filters (every entity type an
 * aggregate reads, from the declarations), its access, its factory
 * ({@link createAggregatesConsumer}) and its Lambda function's wiring.
 */
export const updateAggregatesConsumer: ConsumerModule<AggregatesConsumerOptions> = {
  definition: {
    ...CONSUMER_DEFAULTS,
    ...AGGREGATES_AND_ARCHIVE_READING,
    name: 'update-aggregates',
    description: 'Keeps order, revenue and product-view aggregates up to date.',
    handler: 'functions/update-aggregates.ts',
    filters: entityTypeFilters(sourceTypes(aggregates)),
    access: [Access.writeAggregates],
  },
  create: createAggregatesConsumer,
  fromEnvironment: (env, { logger, metrics }) =>
    createAggregatesConsumer({
      tableName: requiredSetting(env, EnvVar.aggregatesTableName),
      client: new DynamoDBClient(dynamoDbClientConfig(env)),
      logger,
      metrics,
    }),
};
