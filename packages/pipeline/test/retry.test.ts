import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, RetriesExhaustedError, retry } from '../src/retry.js';

const recordingSleep = () => {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
};

describe('backoffDelayMs', () => {
  it('doubles the ceiling with each retry from the base, up to the cap', () => {
    const top = { baseDelayMs: 50, maxDelayMs: 1000, random: () => 0.999_999 };
    expect([1, 2, 3, 4, 5, 6, 7].map((retryNumber) => backoffDelayMs(retryNumber, top))).toEqual([
      49, 99, 199, 399, 799, 999, 999,
    ]);
  });

  it('draws every delay from [0, ceiling): full jitter, never above the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 30_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retryNumber, baseDelayMs, maxDelayMs, draw) => {
          const delay = backoffDelayMs(retryNumber, {
            baseDelayMs,
            maxDelayMs,
            random: () => draw,
          });
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retryNumber - 1));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(ceiling);
          expect(delay).toBe(Math.floor(draw * ceiling));
        },
      ),
    );
  });

  it('spreads the delays of one retry over the whole range', () => {
    const delays = Array.from({ length: 2000 }, () =>
      backoffDelayMs(4, { baseDelayMs: 100, maxDelayMs: 10_000 }),
    );
    expect(Math.min(...delays)).toBeLessThan(80);
    expect(Math.max(...delays)).toBeGreaterThan(720);
    expect(Math.max(...delays)).toBeLessThan(800);
  });
});

describe('retry', () => {
  it('returns the first success, having waited once per failed attempt', async () => {
    const { delays, sleep } = recordingSleep();
    const attempts: number[] = [];
    const value = await retry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new Error(`failure ${attempt}`);
        return 'done';
      },
      { sleep, random: () => 0.5, baseDelayMs: 10, maxDelayMs: 100 },
    );
    expect(value).toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(delays).toEqual([5, 10]);
  });

  it('gives up after maxAttempts with a typed error that keeps the last failure', async () => {
    const { delays, sleep } = recordingSleep();
    let calls = 0;
    const failure = await retry(
      async (attempt) => {
        calls++;
        throw new Error(`failure ${attempt}`);
      },
      { maxAttempts: 4, sleep },
    ).catch((error: unknown) => error);
    expect(calls).toBe(4);
    expect(delays).toHaveLength(3);
    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect(failure).toMatchObject({
      code: 'retry.exhausted',
      attempts: 4,
      message: 'gave up after 4 attempts: failure 4',
    });
    expect(((failure as RetriesExhaustedError).cause as Error).message).toBe('failure 4');
  });

  it('throws a failure that is not retryable at once, as it is', async () => {
    const { delays, sleep } = recordingSleep();
    const fatal = new TypeError('not this again');
    let calls = 0;
    const failure = await retry(
      async () => {
        calls++;
        throw fatal;
      },
      { sleep, retryable: (error) => !(error instanceof TypeError) },
    ).catch((error: unknown) => error);
    expect(failure).toBe(fatal);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it('caps attempts at 6 by default', async () => {
    const { sleep } = recordingSleep();
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('always');
        },
        { sleep },
      ),
    ).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(6);
  });
});
