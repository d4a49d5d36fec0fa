import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Environment, StreamHandler } from './runtime-config.js';

/**
 * A Lambda / EventBridge filter pattern over the Lambda-shaped stream record, for
 * example `{ userIdentity: { type: ['Service'] } }`.
 */
export type FilterPattern = { readonly [field: string]: FilterPattern | readonly unknown[] };

/**
 * What a consumer's function touches, from which the CDK app derives its IAM grants: each
 * value grants exactly the calls its {@link ACCESS_ACTIONS} entry lists.
 */
export const Access = {
  /** Query a partition and batch-get items of the main table itself (no index). */
  readMainTable: 'readMainTable',
  /** Get and batch-get items of the aggregates table, and write them in transactions. */
  writeAggregates: 'writeAggregates',
  /** Index, delete and bulk-write documents in the search domain. */
  writeSearch: 'writeSearch',
  /** Put objects under the archive prefix, and read one back. */
  writeArchive: 'writeArchive',
} as const;

/** One of the values of {@link Access}. */
export type Access = (typeof Access)[keyof typeof Access];

/**
 * The IAM actions of each table and bucket {@link Access}: exactly the API calls its
 * consumer makes, under the names IAM authorises them by. A TransactWriteItems is authorised
 * per contained action (Put, Update, ConditionCheck), so it has no action of its own.
 * `writeSearch` is absent: its HTTP actions and index paths belong to the search domain.
 *
 * @example
 * ACCESS_ACTIONS.readMainTable // ['dynamodb:Query', 'dynamodb:BatchGetItem']
 */
export const ACCESS_ACTIONS = {
  // @pipeline/search: projectOrders queries an order's or customer's partition and
  // batch-gets the items it names.
  readMainTable: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
  // @pipeline/aggregates: applyChanges reads the generation pointer (GetItem) and the items'
  // states (BatchGetItem), then writes one TransactWriteItems of a generation
  // ConditionCheck, state Puts and counter Updates.
  writeAggregates: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
  // @pipeline/archive: a conditional PutObject, and a GetObject to verify the object a 412
  // found already there.
  writeArchive: ['s3:PutObject', 's3:GetObject'],
} as const satisfies Record<Exclude<Access, typeof Access.writeSearch>, readonly string[]>;

/**
 * One stream consumer: its Lambda function and every setting of its event source
 * mapping. The CDK app and the local runner both read this; neither repeats a value.
 */
export interface ConsumerDefinition {
  /** Short, stable name: the function, its DLQ and its checkpoints are named after it. */
  readonly name: string;
  readonly description: string;
  /** Handler module relative to the repository root; it exports `handler`. */
  readonly handler: string;
  /** Records per invocation, 1 to 10,000 (Lambda's default is 100). */
  readonly batchSize: number;
  /** Seconds to gather records before invoking, 0 to 300. */
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** Always on: every handler reports failures item by item. */
  readonly reportBatchItemFailures: true;
  readonly bisectBatchOnError: boolean;
  /**
   * Retries after the first attempt, 0 to 10,000, or -1 to retry until the record expires
   * (by `maxRecordAgeSeconds`, or by leaving the stream); Lambda's default is -1.
   */
  readonly retryAttempts: number;
  /**
   * Records older than this are skipped to the on-failure destination, record by record:
   * 60 to 604,800 s, or -1 for no limit (Lambda's default). The stream keeps records 24 h,
   * so a limit above that acts as none; keep it well inside if DLQ'd batches are to be
   * replayed from the stream.
   */
  readonly maxRecordAgeSeconds: number;
  /** Concurrent batches per shard, 1 to 10; order then holds per item, not per shard. */
  readonly parallelizationFactor: number;
  /**
   * `per-shard` when the consumer keeps state that needs every record of a shard in
   * order; such a consumer must have a parallelisation factor of 1.
   */
  readonly ordering: 'per-item' | 'per-shard';
  /** Records must match at least one pattern; none means every record. */
  readonly filters: readonly FilterPattern[];
  /**
   * Where a skipped batch is recorded. `queue`: its metadata goes to a queue (SQS in AWS,
   * a file queue locally), and a replay reads the records again from the stream, so only
   * within its 24 h retention. `bucket`: Lambda writes the metadata and the whole
   * invocation payload to an S3 bucket (locally, the S3-compatible archive server), so a
   * replay needs no stream and works at any later time.
   */
  readonly onFailure: 'queue' | 'bucket';
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  readonly access: readonly Access[];
}

/**
 * One event source mapping of the table's stream: one Lambda function that reads the
 * stream and runs each of its consumers over the records that consumer's filters match.
 * Its consumers share every mapping and function setting; its filters and access are the
 * union of theirs (see `mappingFunction`).
 */
export interface MappingDefinition {
  /** Short, stable name: the function, its on-failure queue and its checkpoints are named after it. */
  readonly name: string;
  readonly description: string;
  /** Handler module relative to the repository root; for a lone consumer, the consumer's own. */
  readonly handler: string;
  readonly consumers: readonly ConsumerDefinition[];
}

/** The Powertools tools a consumer's Lambda function gives its handler. */
export interface ConsumerTools {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * A stream consumer as one module: its definition (every mapping setting, its filters and
 * its access), its factory, and the wiring of its Lambda function. The CDK app, the local
 * stack, the chaos run and the CLI all read the same module; only the dependencies given to
 * `create` differ (the chaos run injects faulty clients there).
 *
 * @example
 * export const handler = consumerLambdaHandler(syncSearch);
 */
export interface ConsumerModule<Options> {
  readonly definition: ConsumerDefinition;
  /** Builds the consumer's handler over the given clients and settings. */
  readonly create: (options: Options) => StreamHandler;
  /** Builds the handler as its Lambda function does: clients and names from the environment. */
  readonly fromEnvironment: (env: Environment, tools: ConsumerTools) => StreamHandler;
}
