/** Retrying the unprocessed part of batch requests, shared by batch reads and writes. */

/** How unprocessed items are retried. */
export interface RetryOptions {
  /** Sends per chunk, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** Ceiling of the first retry's delay. @default 50 */
  readonly baseDelayMs?: number;
  /** Cap on any delay. @default 2000 */
  readonly maxDelayMs?: number;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** How to wait; tests pass one that does not. */
  readonly sleep?: (ms: number) => Promise<void>;
}

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

/**
 * The delay before retry number `attempt` (1 for the first retry): "full jitter", a
 * random time up to an exponentially growing ceiling that is capped, so that clients
 * throttled together do not retry together.
 *
 * @example
 * backoffDelayMs(3, { baseDelayMs: 50, maxDelayMs: 2000, random: () => 0.5 }) // 100
 */
export const backoffDelayMs = (
  attempt: number,
  options: {
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    readonly random: () => number;
  },
): number => {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * ceiling);
};

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
