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
