/**
 * A Lambda / EventBridge filter pattern over the Lambda-shaped stream record, for
 * example `{ userIdentity: { type: ['Service'] } }`.
 */
export type FilterPattern = { readonly [field: string]: FilterPattern | readonly unknown[] };

/** What a consumer's function touches, from which the CDK app derives its IAM grants. */
export const Access = {
  /** Query the main table (for example to re-project a user's orders). */
  readMainTable: 'readMainTable',
  /** Read and write the aggregates table. */
  writeAggregates: 'writeAggregates',
  /** Index, delete and bulk-write documents in the search domain. */
  writeSearch: 'writeSearch',
  /** Put objects under the archive prefix. */
  writeArchive: 'writeArchive',
} as const;

/** One of the values of {@link Access}. */
export type Access = (typeof Access)[keyof typeof Access];

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
  /** Failed batches' metadata goes to a queue: SQS in AWS, a file queue locally. */
  readonly onFailure: 'queue';
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  readonly access: readonly Access[];
}
