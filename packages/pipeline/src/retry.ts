import { PipelineError } from '@pipeline/errors';

/** How a call is retried: a cap on attempts, and capped exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 6 */
  readonly maxAttempts?: number;
  /** Ceiling of the first retry's delay, in ms; each later retry doubles it. @default 50 */
  readonly baseDelayMs?: number;
  /** Cap on any one delay, in ms. @default 2000 */
  readonly maxDelayMs?: number;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** How to wait; tests pass one that records the delay and returns at once. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Options of {@link retry}. */
export interface RetryOptions extends RetryPolicy {
  /** Whether a failure may succeed on another try; one that may not is thrown as it is. @default every failure */
  readonly retryable?: (error: unknown) => boolean;
}

/** Waits `ms` milliseconds. */
export const sleepMs = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** {@link RetryPolicy} with every default filled in. */
export const retryPolicy = (policy: RetryPolicy = {}): Required<RetryPolicy> => ({
  maxAttempts: policy.maxAttempts ?? 6,
  baseDelayMs: policy.baseDelayMs ?? 50,
  maxDelayMs: policy.maxDelayMs ?? 2000,
  random: policy.random ?? Math.random,
  sleep: policy.sleep ?? sleepMs,
});

/**
 * The delay before retry number `retryNumber` (1 for the first retry, that is before the
 * second attempt): "full jitter", a whole number of ms drawn from [0, ceiling) where the
 * ceiling is `baseDelayMs · 2^(retryNumber − 1)` capped at `maxDelayMs`, so that clients
 * throttled together do not retry together.
 *
 * @example
 * backoffDelayMs(3, { baseDelayMs: 50, maxDelayMs: 2000, random: () => 0.5 }) // 100
 */
export const backoffDelayMs = (retryNumber: number, policy: RetryPolicy = {}): number => {
  const { baseDelayMs, maxDelayMs, random } = retryPolicy(policy);
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.floor(random() * ceiling);
};

/** Every attempt {@link retry} allowed failed; `cause` is the last attempt's failure. */
export class RetriesExhaustedError extends PipelineError<'retry.exhausted'> {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    const last = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super('retry.exhausted', `gave up after ${attempts} attempts: ${last}`, options);
  }
}

/**
 * Runs `work` until it resolves, at most `maxAttempts` times, waiting {@link backoffDelayMs}
 * between attempts. A failure that is not `retryable` is thrown at once, as it is; when the
 * attempts run out, {@link RetriesExhaustedError} is thrown with the last failure as cause.
 * `work` gets the attempt number, 1 first.
 *
 * @example
 * let pending = keys;
 * await retry(async () => {
 *   pending = await sendAndReturnUnprocessed(pending);
 *   if (pending.length > 0) throw new UnprocessedError(pending.length);
 * }, { maxAttempts: 8, retryable: (error) => error instanceof UnprocessedError });
 */
export const retry = async <T>(
  work: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> => {
  const policy = retryPolicy(options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (options.retryable && !options.retryable(error)) throw error;
      if (attempt >= policy.maxAttempts) throw new RetriesExhaustedError(attempt, { cause: error });
      await policy.sleep(backoffDelayMs(attempt, policy));
    }
  }
};
