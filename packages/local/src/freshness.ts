import type { DynamoDBRecord } from 'aws-lambda';

/**
 * Which clock a lag figure came from: the item's own write timestamp (`updatedAt` on the
 * new image), or the stream record's ApproximateCreationDateTime, which DynamoDB Local
 * stamps to the minute.
 */
export type LagSource = 'write-time' | 'stream-record';

/** When a record's change was made, and which clock said so. */
export interface RecordWriteTime {
  readonly writtenMs: number;
  readonly source: LagSource;
}

// DynamoDB Local's stream time is cut to the minute, so a true write time lies within a
// minute of it; one further off was written by another clock (a test's fixed `now`).
const STREAM_CLOCK_SLACK_MS = 61_000;

/**
 * The time a record's change was written: the new image's `updatedAt`, which the store
 * stamps on every write, when it is a timestamp within a minute of the stream's time;
 * otherwise (a delete, a TTL expiry, an item not written by the store) the stream
 * record's ApproximateCreationDateTime.
 *
 * @example
 * const { writtenMs, source } = recordWriteTime(record);
 * const lagMs = Date.now() - writtenMs;
 */
export const recordWriteTime = (record: DynamoDBRecord): RecordWriteTime => {
  const streamMs = (record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000;
  const updatedAt = record.dynamodb?.NewImage?.updatedAt?.S;
  if (updatedAt !== undefined) {
    const writtenMs = Date.parse(updatedAt);
    if (Number.isFinite(writtenMs) && Math.abs(writtenMs - streamMs) <= STREAM_CLOCK_SLACK_MS)
      return { writtenMs, source: 'write-time' };
  }
  return { writtenMs: streamMs, source: 'stream-record' };
};

/** Write time → handler returned success, over a trailing window. */
export interface FreshnessSummary {
  readonly windowSeconds: number;
  readonly samples: number;
  /** null when no record finished within the window. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** The value at quantile `q` (0..1) of sorted values, nearest rank. */
export const quantileOf = (sorted: readonly number[], q: number): number | null => {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
};

/**
 * Freshness samples (write time → handler returned success) of the last `windowSeconds`,
 * summarised as p50 and p99. Old samples are dropped as new ones arrive and when read.
 *
 * @example
 * const window = new FreshnessWindow(60);
 * window.add(Date.now(), Date.now() - writtenMs);
 * window.summary(Date.now()); // { windowSeconds: 60, samples: 1, p50Ms, p99Ms }
 */
export class FreshnessWindow {
  #samples: { at: number; ms: number }[] = [];
  #head = 0;

  constructor(readonly windowSeconds = 60) {}

  add(at: number, freshnessMs: number): void {
    this.#samples.push({ at, ms: Math.max(0, freshnessMs) });
    if (this.#samples.length - this.#head > 4096) this.#expire(at);
  }

  summary(now: number): FreshnessSummary {
    this.#expire(now);
    const sorted = this.#samples
      .slice(this.#head)
      .map((sample) => sample.ms)
      .sort((a, b) => a - b);
    return {
      windowSeconds: this.windowSeconds,
      samples: sorted.length,
      p50Ms: quantileOf(sorted, 0.5),
      p99Ms: quantileOf(sorted, 0.99),
    };
  }

  #expire(now: number): void {
    const from = now - this.windowSeconds * 1000;
    while (this.#head < this.#samples.length && this.#samples[this.#head]!.at < from) this.#head++;
    if (this.#head > 4096) {
      this.#samples = this.#samples.slice(this.#head);
      this.#head = 0;
    }
  }
}
