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

/** One bucket of a {@link FreshnessHistory}: the records whose handler returned within it. */
export interface FreshnessBucket {
  /** When the bucket began, epoch milliseconds. */
  readonly startMs: number;
  readonly samples: number;
  /** Records finished per second over the bucket: `samples` over its width. */
  readonly throughputPerSecond: number;
  /** null when no record finished within the bucket. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

/** Freshness and throughput over the last minutes, in buckets of `bucketSeconds`, oldest first. */
export interface FreshnessHistory {
  readonly bucketSeconds: number;
  /** Every bucket of the span, empty ones included; the bucket still filling is left out. */
  readonly buckets: readonly FreshnessBucket[];
}

/** Spans and limits of a {@link FreshnessBuckets}. */
export interface FreshnessBucketsOptions {
  /** Width of one bucket, in seconds. @default 10 */
  readonly bucketSeconds?: number;
  /** How many closed buckets the history holds: 30 of 10 s make 5 minutes. @default 30 */
  readonly buckets?: number;
  /**
   * Samples a bucket keeps to take its quantiles from. Past it the bucket keeps every second
   * sample, then every fourth, and so on, so memory stays bounded at any rate while `samples`
   * still counts them all. @default 2048
   */
  readonly samplesPerBucket?: number;
}

interface OpenBucket {
  readonly startMs: number;
  samples: number;
  kept: number[];
  /** Every `stride`-th sample is kept. */
  stride: number;
}

/**
 * Freshness samples (write time → handler returned success) in fixed buckets aligned to the
 * clock, summarised per bucket as it closes, so the last minutes cost one summary per bucket.
 *
 * @example
 * const buckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30 });
 * buckets.add(Date.now(), Date.now() - writtenMs);
 * buckets.history(Date.now()).buckets; // 30 buckets: { startMs, samples, throughputPerSecond, p50Ms, p99Ms }
 */
export class FreshnessBuckets {
  readonly bucketSeconds: number;
  readonly #count: number;
  readonly #cap: number;
  #closed: FreshnessBucket[] = [];
  #open: OpenBucket | undefined;

  constructor(options: FreshnessBucketsOptions = {}) {
    this.bucketSeconds = options.bucketSeconds ?? 10;
    this.#count = options.buckets ?? 30;
    this.#cap = Math.max(2, options.samplesPerBucket ?? 2048);
  }

  add(at: number, freshnessMs: number): void {
    const startMs = this.#startOf(at);
    if (this.#open === undefined || startMs > this.#open.startMs) {
      this.#close();
      this.#open = { startMs, samples: 0, kept: [], stride: 1 };
    }
    // A record that finished a moment before the open bucket began (another shard's sandbox
    // returned out of order) counts in the open one rather than reopening a closed bucket.
    const open = this.#open;
    open.samples++;
    if (open.samples % open.stride !== 0) return;
    open.kept.push(Math.max(0, freshnessMs));
    if (open.kept.length >= this.#cap) {
      open.kept = open.kept.filter((_, index) => index % 2 === 1);
      open.stride *= 2;
    }
  }

  history(now: number): FreshnessHistory {
    const currentMs = this.#startOf(now);
    if (this.#open !== undefined && this.#open.startMs < currentMs) this.#close();
    const bucketMs = this.bucketSeconds * 1000;
    const byStart = new Map(this.#closed.map((bucket) => [bucket.startMs, bucket]));
    const buckets: FreshnessBucket[] = [];
    for (let startMs = currentMs - this.#count * bucketMs; startMs < currentMs; startMs += bucketMs)
      buckets.push(
        byStart.get(startMs) ?? {
          startMs,
          samples: 0,
          throughputPerSecond: 0,
          p50Ms: null,
          p99Ms: null,
        },
      );
    return { bucketSeconds: this.bucketSeconds, buckets };
  }

  #startOf(at: number): number {
    const bucketMs = this.bucketSeconds * 1000;
    return Math.floor(at / bucketMs) * bucketMs;
  }

  #close(): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    const sorted = open.kept.sort((a, b) => a - b);
    this.#closed.push({
      startMs: open.startMs,
      samples: open.samples,
      throughputPerSecond: Math.round((open.samples / this.bucketSeconds) * 10) / 10,
      p50Ms: quantileOf(sorted, 0.5),
      p99Ms: quantileOf(sorted, 0.99),
    });
    const from = open.startMs - this.#count * this.bucketSeconds * 1000;
    while ((this.#closed[0]?.startMs ?? from) < from) this.#closed.shift();
  }
}
