/** Retrying the unprocessed part of batch requests, shared by batch reads and writes. */

import type { RetryPolicy } from '@pipeline/pipeline';

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

/** Waits `ms` milliseconds. */
export const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** {@link RetryOptions} with their defaults filled in. */
export const retrySettings = (options: RetryOptions) => ({
  maxAttempts: options.maxAttempts ?? 8,
  baseDelayMs: options.baseDelayMs ?? 50,
  maxDelayMs: options.maxDelayMs ?? 2000,
  random: options.random ?? Math.random,
  sleep: options.sleep ?? defaultSleep,
});

/** Runs `work` over every element with at most `concurrency` running at once. */
export const forEachLimited = async <T>(
  elements: readonly T[],
  concurrency: number,
  work: (element: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < elements.length) {
      const element = elements[next++]!;
      await work(element);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, elements.length)) }, worker),
  );
};
