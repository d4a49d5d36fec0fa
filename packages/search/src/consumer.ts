import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import { EntityType } from '@pipeline/model';
import {
  Access,
  CONSUMER_DEFAULTS,
  type ConsumerModule,
  dynamoDbClientConfig,
  EnvVar,
  entityTypeFilters,
  openSearchClientConfig,
  requiredSetting,
} from '@pipeline/pipeline';
import {
  type ChangeEvent,
  type HandlerFailure,
  type LogSink,
  type MetricsSink,
  processBatch,
} from '@pipeline/streams';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type BulkClient, type BulkOperation, type SendBulkOptions, sendBulk } from './bulk.js';
import type { DocumentWrite } from './documents.js';
import { searchIndexNames } from './indices.js';
import { planSync } from './plan.js';
import { projectOrders } from './reads.js';
import { createSyncSearchClient } from './sync-client.js';

/** Names of the EMF metrics the consumer adds beside the stream processor's. */
export const SearchMetric = {
  bulkRequests: 'SearchBulkRequests',
  documents: 'SearchDocumentsWritten',
  /** Items answered 409: a newer version was already indexed. */
  conflicts: 'SearchVersionConflicts',
  retries: 'SearchItemRetries',
  tableReads: 'SearchTableReads',
  /** Time the batch spent reading the table to project its orders. */
  tableReadTime: 'SearchTableReadTime',
  /** Time the batch spent in bulk requests, retries included. */
  bulkTime: 'SearchBulkTime',
} as const;

/** Options of {@link syncChanges} and {@link createSearchSyncConsumer}. */
export interface SearchSyncOptions
  extends Pick<
    SendBulkOptions,
    'maxBulkBytes' | 'sleep' | 'random' | 'baseDelayMs' | 'maxDelayMs'
  > {
  /** The OpenSearch client (see `createSearchClient`). */
  readonly client: BulkClient;
  /**
   * Reads back deleted customers' marker versions by realtime GET. @default `client`, when
   * it has `get` (a client wrapped down to `bulk` reads nothing back; see `ProjectOrdersOptions.search`).
   */
  readonly reader?: Pick<Client, 'get'>;
  /** Reads the main table's current state for order projections. */
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** Prefix of the aliases. @default '' */
  readonly prefix?: string;
  /** Your function's Powertools Logger. */
  readonly logger?: LogSink;
  /** Your function's Powertools Metrics; the consumer adds, you publish. */
  readonly metrics?: MetricsSink;
  /** Clock in epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Kept back from the invocation's remaining time to report failures. @default 5000 */
  readonly safetyMarginMs?: number;
  /** Retry budget when there is no Lambda context (local runs). @default 20000 */
  readonly timeBudgetMs?: number;
}

/** What one batch cost and produced. */
export interface SyncStats {
  readonly documents: number;
  readonly bulkRequests: number;
  readonly conflicts: number;
  readonly retries: number;
  readonly tableReads: number;
  /** Milliseconds spent reading the table for the order projections. */
  readonly tableReadMs: number;
  /** Milliseconds spent in bulk requests, retries and their waits included. */
  readonly bulkMs: number;
}

/** The failures to report and the work done. */
export interface SyncResult {
  readonly failures: HandlerFailure[];
  readonly stats: SyncStats;
}

/**
 * Applies decoded changes to the search index: plans which documents they touch,
 * re-projects orders from the table, sends every write of the batch as one `_bulk` request
 * (more only past `maxBulkBytes`), and maps what still failed back to the sequence numbers
 * of the changes behind each document.
 *
 * @example
 * const { failures } = await syncChanges(changes, { client, dynamodb, tableName }, Date.now() + 20_000);
 */
export const syncChanges = async (
  changes: readonly ChangeEvent[],
  options: SearchSyncOptions,
  deadline: number,
): Promise<SyncResult> => {
  const names = searchIndexNames(options.prefix);
  const plan = planSync(changes);
  const failed = new Map<string, unknown>();
  const fail = (sequenceNumbers: readonly string[], error: unknown) => {
    for (const sequenceNumber of sequenceNumbers)
      if (!failed.has(sequenceNumber)) failed.set(sequenceNumber, error);
  };

  const reader =
    options.reader ??
    (typeof (options.client as Partial<Pick<Client, 'get'>>).get === 'function'
      ? (options.client as unknown as Pick<Client, 'get'>)
      : undefined);
  const readsFrom = performance.now();
  const projection = await projectOrders(plan.orders, plan.customers, {
    ...options,
    ...(reader ? { search: { client: reader, names } } : {}),
  });
  for (const [userId, error] of projection.customerFailures)
    fail(plan.customers.get(userId)!.sequenceNumbers, error);

  /** The changes behind each order document: its own, and its customer's fan-out. */
  const orderSources = new Map<string, string[]>();
  for (const [orderId, target] of plan.orders)
    orderSources.set(orderId, [...target.sequenceNumbers]);
  for (const [userId, orderIds] of projection.fannedOut) {
    const sequenceNumbers = plan.customers.get(userId)!.sequenceNumbers;
    for (const orderId of orderIds) {
      const list = orderSources.get(orderId) ?? [];
      list.push(...sequenceNumbers);
      orderSources.set(orderId, list);
    }
  }
  for (const [orderId, error] of projection.failures) fail(orderSources.get(orderId) ?? [], error);

  const operations: BulkOperation[] = [];
  const behind: string[][] = [];
  const add = (write: DocumentWrite, sequenceNumbers: string[]) => {
    operations.push({
      index: names[write.kind].write,
      id: write.id,
      version: write.version,
      source: write.source,
    });
    behind.push(sequenceNumbers);
  };
  for (const target of plan.users.values()) {
    if (target.write) add(target.write, target.sequenceNumbers);
    else fail(target.sequenceNumbers, target.error);
  }
  for (const [orderId, write] of projection.writes) add(write, orderSources.get(orderId) ?? []);

  const tableReadMs = performance.now() - readsFrom;
  const bulkFrom = performance.now();
  const outcome =
    operations.length === 0
      ? { failures: new Map<number, unknown>(), requests: 0, conflicts: 0, retries: 0 }
      : await sendBulk(options.client, operations, { ...options, deadline });
  for (const [position, error] of outcome.failures) fail(behind[position]!, error);

  const stats: SyncStats = {
    documents: operations.length,
    bulkRequests: outcome.requests,
    conflicts: outcome.conflicts,
    retries: outcome.retries,
    tableReads: projection.reads,
    tableReadMs: Math.round(tableReadMs),
    bulkMs: Math.round(performance.now() - bulkFrom),
  };
  return {
    failures: [...failed].map(([sequenceNumber, error]) => ({ sequenceNumber, error })),
    stats,
  };
};

/**
 * Creates the `sync-search` Lambda handler: decodes the batch, applies it with
 * {@link syncChanges} inside the invocation's time budget, and returns
 * `{ batchItemFailures }` naming the lowest sequence number that did not land.
 *
 * @example
 * export const handler = createSearchSyncConsumer({ client: createSearchClient({ node }), dynamodb, tableName, logger, metrics });
 */
export const createSearchSyncConsumer = (
  options: SearchSyncOptions,
): ((
  event: DynamoDBStreamEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<DynamoDBBatchResponse>) => {
  const now = options.now ?? Date.now;
  return (event, context) => {
    const budget = context
      ? context.getRemainingTimeInMillis() - (options.safetyMarginMs ?? 5000)
      : (options.timeBudgetMs ?? 20_000);
    const deadline = now() + Math.max(0, budget);
    return processBatch(
      event,
      async (changes, ctx) => {
        const { failures, stats } = await syncChanges(changes, options, deadline);
        const { metrics } = options;
        metrics?.addMetric(SearchMetric.bulkRequests, 'Count', stats.bulkRequests);
        metrics?.addMetric(SearchMetric.documents, 'Count', stats.documents);
        metrics?.addMetric(SearchMetric.conflicts, 'Count', stats.conflicts);
        metrics?.addMetric(SearchMetric.retries, 'Count', stats.retries);
        metrics?.addMetric(SearchMetric.tableReads, 'Count', stats.tableReads);
        metrics?.addMetric(SearchMetric.tableReadTime, 'Milliseconds', stats.tableReadMs);
        metrics?.addMetric(SearchMetric.bulkTime, 'Milliseconds', stats.bulkMs);
        ctx.logger.debug('search sync batch', { ...stats, failed: failures.length });
        return { failures };
      },
      { logger: options.logger, metrics: options.metrics, now },
    );
  };
};

/**
 * The `sync-search` consumer: its mapping settings, filters and access, its factory
 * ({@link createSearchSyncConsumer}), and its Lambda function's wiring.
 */
export const syncSearchConsumer: ConsumerModule<SearchSyncOptions> = {
  definition: {
    ...CONSUMER_DEFAULTS,
    name: 'sync-search',
    description: 'Keeps the orders and users search indexes in step with the table.',
    handler: 'functions/sync-search.ts',
    batchSize: 500,
    maxBatchingWindowSeconds: 0,
    // Documents carry external versions, so batches of one shard may run side by side.
    parallelizationFactor: 2,
    ordering: 'per-item',
    // What planSync reads: users, orders and their lines.
    filters: entityTypeFilters([EntityType.user, EntityType.order, EntityType.orderItem]),
    timeoutSeconds: 60,
    memoryMiB: 512,
    access: [Access.readMainTable, Access.writeSearch],
  },
  create: createSearchSyncConsumer,
  fromEnvironment: (env, { logger, metrics }) =>
    createSearchSyncConsumer({
      client: createSyncSearchClient(openSearchClientConfig(env)),
      dynamodb: new DynamoDBClient(dynamoDbClientConfig(env)),
      tableName: requiredSetting(env, EnvVar.tableName),
      logger,
      metrics,
    }),
};
