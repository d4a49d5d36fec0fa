/** Retrying the unprocessed part of batch requests, shared by batch reads and writes. */

import { forEachLimited, RetriesExhaustedError, type RetryPolicy, retry } from '@pipeline/pipeline';
import { UnprocessedItemsError } from './errors.js';

/**
 * How unprocessed items are retried: the shared policy, here with 8 attempts and delays
 * from a ceiling of 50 ms doubling up to 2 s by default.
 */
export type RetryOptions = RetryPolicy;

/**
 * Splits a list into chunks of at most `size`.
 *
 * @example
 * chunk([1, 2, 3], 2) // [[1, 2], [3]]
 */
export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
};

/** The delay before retry number `attempt`: the shared capped backoff with full jitter. */
export { backoffDelayMs } from '@pipeline/pipeline';

/** What an answer to a batch request left unprocessed: the request that sends it again. */
export interface Unprocessed<Request> {
  readonly request: Request;
  /** How many items or keys it holds. */
  readonly count: number;
}

/**
 * Sends every batch request, at most `concurrency` at once, and sends again whatever an
 * answer leaves unprocessed, after a capped backoff with full jitter, until nothing is left.
 * Raises {@link UnprocessedItemsError} when the attempts run out with some still left.
 *
 * @example
 * await sendUntilProcessed(requests, options, 'BatchWriteItem', async (request) => { … });
 */
export const sendUntilProcessed = async <Request>(
  requests: readonly Request[],
  options: RetryOptions & { readonly concurrency?: number },
  operation: UnprocessedItemsError['operation'],
  send: (request: Request) => Promise<Unprocessed<Request> | undefined>,
): Promise<void> => {
  const policy = {
    ...options,
    maxAttempts: options.maxAttempts ?? 8,
    retryable: (error: unknown) => error instanceof UnprocessedItemsError,
  };
  await forEachLimited(requests, options.concurrency ?? 4, async (request) => {
    let pending = request;
    try {
      await retry(async (attempt) => {
        const left = await send(pending);
        if (left === undefined) return;
        pending = left.request;
        throw new UnprocessedItemsError(operation, left.count, attempt);
      }, policy);
    } catch (error) {
      // The last attempt's error says how much was left, after how many attempts.
      throw error instanceof RetriesExhaustedError ? error.cause : error;
    }
  });
};
