import { STREAM_RETENTION_SECONDS, UNLIMITED } from '@pipeline/pipeline';
import type { DynamoDBRecord } from 'aws-lambda';

/** How one invocation of a batch ended, as Lambda's event source mapping reads it. */
export type BatchOutcome =
  | { readonly kind: 'success' }
  /** Records before `firstFailedIndex` are done; Lambda checkpoints there. */
  | { readonly kind: 'partial'; readonly firstFailedIndex: number }
  | { readonly kind: 'failed'; readonly reason: string };

/**
 * Reads a handler's response with `ReportBatchItemFailures` the way Lambda does:
 * - no response, or an empty `batchItemFailures`, is success;
 * - otherwise Lambda checkpoints at the lowest failed sequence number, so every record
 *   from there on is delivered again;
 * - an identifier that is missing, empty or not in the batch fails the whole batch,
 *   as does a response that is not of the documented shape.
 *
 * @example
 * interpretResponse(batch, { batchItemFailures: [{ itemIdentifier: '300' }] })
 */
export const interpretResponse = (
  batch: readonly DynamoDBRecord[],
  response: unknown,
): BatchOutcome => {
  if (response === undefined || response === null) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'failed', reason: 'the response is not an object' };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures))
    return { kind: 'failed', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const indexBySequence = new Map<string, number>();
  batch.forEach((record, index) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber;
    if (sequenceNumber) indexBySequence.set(sequenceNumber, index);
  });
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof identifier !== 'string' || identifier === '') {
      return { kind: 'failed', reason: 'an itemIdentifier is missing or empty' };
    }
    const index = indexBySequence.get(identifier);
    if (index === undefined) {
      return { kind: 'failed', reason: `itemIdentifier ${identifier} is not in the batch` };
    }
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', firstFailedIndex: lowest };
};

/** A batch split by record age: what is still delivered, and what is discarded. */
export interface AgedBatch {
  /** Records young enough to deliver, in batch order. */
  readonly fresh: DynamoDBRecord[];
  /** Expired records as runs of neighbours, each reported as one on-failure message. */
  readonly expired: DynamoDBRecord[][];
}

/**
 * Splits a batch by each record's age, as Lambda's `MaximumRecordAgeInSeconds` discards
 * "records older than the specified age": only the expired records are dropped, and the
 * fresh ones behind them are still delivered. With `-1` there is no age limit, but a record
 * still expires when it leaves the stream after its 24 h retention.
 *
 * @example
 * const { fresh, expired } = splitByAge(batch, Date.now(), definition.maxRecordAgeSeconds);
 */
export const splitByAge = (
  records: readonly DynamoDBRecord[],
  nowMs: number,
  maxRecordAgeSeconds: number,
): AgedBatch => {
  const limitMs =
    (maxRecordAgeSeconds === UNLIMITED ? STREAM_RETENTION_SECONDS : maxRecordAgeSeconds) * 1000;
  const fresh: DynamoDBRecord[] = [];
  const expired: DynamoDBRecord[][] = [];
  let run: DynamoDBRecord[] | undefined;
  for (const record of records) {
    const createdMs = (record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000;
    if (nowMs - createdMs > limitMs) {
      if (!run) {
        run = [];
        expired.push(run);
      }
      run.push(record);
    } else {
      run = undefined;
      fresh.push(record);
    }
  }
  return { fresh, expired };
};

/**
 * Whether a batch retried `retries` times has used up `MaximumRetryAttempts`; `-1` never
 * does, so the batch is retried until its records expire.
 *
 * @example
 * if (retriesExhausted(segment.retries, definition.retryAttempts)) skip(segment);
 */
export const retriesExhausted = (retries: number, retryAttempts: number): boolean =>
  retryAttempts !== UNLIMITED && retries >= retryAttempts;
