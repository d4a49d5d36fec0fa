/**
 * Several consumers behind one event source mapping: each runs over the records its own
 * filters match, and the mapping reports every record any of them failed.
 */
import type { ConsumerDefinition } from '@pipeline/pipeline';
import type {
  Context,
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { matchesAnyFilter } from './filter.js';

/** A Lambda handler for DynamoDB stream events. */
export type StreamHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<unknown>;

/** A consumer and its handler: what a mapping runs. */
export interface ConsumerHandler {
  readonly definition: ConsumerDefinition;
  readonly handler: StreamHandler;
}

const sequenceOf = (record: DynamoDBRecord): string => record.dynamodb?.SequenceNumber ?? '';

// A consumer's own failures, read as Lambda reads a response: an unknown identifier or a
// response of the wrong shape fails every record the consumer was given.
const failuresOf = (records: readonly DynamoDBRecord[], response: unknown): Set<string> => {
  const all = new Set(records.map(sequenceOf));
  if (response === undefined || response === null) return new Set();
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const failed = new Set<string>();
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof identifier !== 'string' || !all.has(identifier)) return all;
    failed.add(identifier);
  }
  return failed;
};

/**
 * One handler for a mapping that runs several consumers. Each consumer gets, at the same
 * time, the records its filters match, in stream order; the response names every record
 * that any consumer failed, so Lambda checkpoints before the lowest of them across all
 * consumers. Each consumer is idempotent and isolates failures per item, so a record
 * redelivered to a consumer that had applied it changes nothing, and one consumer's
 * poison record holds back only that record (and its item's later records) in that
 * consumer, never the other consumer's. A consumer that throws fails every record it was
 * given, for retry.
 *
 * @example
 * export const handler = runConsumers([
 *   { definition: consumerNamed('update-aggregates'), handler: updateAggregates },
 *   { definition: consumerNamed('archive-expired'), handler: archiveExpired },
 * ]);
 */
export const runConsumers =
  (
    consumers: readonly ConsumerHandler[],
    options: {
      /** Told of a consumer that threw instead of reporting its failures. */
      readonly onConsumerError?: (consumer: string, error: unknown) => void;
    } = {},
  ) =>
  async (event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> => {
    const failed = await Promise.all(
      consumers.map(async ({ definition, handler }) => {
        const records =
          definition.filters.length === 0
            ? event.Records
            : event.Records.filter((record) => matchesAnyFilter(definition.filters, record));
        if (records.length === 0) return new Set<string>();
        try {
          return failuresOf(records, await handler({ Records: records }, context));
        } catch (error) {
          options.onConsumerError?.(definition.name, error);
          return new Set(records.map(sequenceOf));
        }
      }),
    );
    const batchItemFailures: DynamoDBBatchItemFailure[] = [];
    for (const record of event.Records) {
      const sequenceNumber = sequenceOf(record);
      if (failed.some((set) => set.has(sequenceNumber))) {
        batchItemFailures.push({ itemIdentifier: sequenceNumber });
      }
    }
    return { batchItemFailures };
  };
