import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  FreshnessBuckets,
  FreshnessWindow,
  quantileOf,
  recordWriteTime,
} from '../src/freshness.js';

// DynamoDB Local stamps stream records to the minute: 10:00:00 for a write at 10:00:41.250.
const streamSeconds = Date.parse('2026-12-02T10:00:00.000Z') / 1000;

const record = (
  newImage?: NonNullable<DynamoDBRecord['dynamodb']>['NewImage'],
): DynamoDBRecord => ({
  eventName: newImage ? 'MODIFY' : 'REMOVE',
  dynamodb: {
    ApproximateCreationDateTime: streamSeconds,
    Keys: { PK: { S: 'ORDER#o1' }, SK: { S: 'METADATA' } },
    NewImage: newImage,
    OldImage: { PK: { S: 'ORDER#o1' }, updatedAt: { S: '2026-12-02T09:58:00.000Z' } },
    SequenceNumber: '100',
  },
});

describe('recordWriteTime', () => {
  it("takes the lag from the new image's updatedAt when the item has one", () => {
    const written = recordWriteTime(record({ updatedAt: { S: '2026-12-02T10:00:41.250Z' } }));

    expect(written).toEqual({
      writtenMs: Date.parse('2026-12-02T10:00:41.250Z'),
      source: 'write-time',
    });
  });

  it("falls back to the stream record's time for a record without a write timestamp", () => {
    const written = recordWriteTime(record());

    expect(written).toEqual({ writtenMs: streamSeconds * 1000, source: 'stream-record' });
  });

  it('falls back to the stream record when updatedAt is not a timestamp', () => {
    expect(recordWriteTime(record({ updatedAt: { S: 'yesterday' } })).source).toBe('stream-record');
    expect(recordWriteTime(record({ updatedAt: { N: '5' } })).source).toBe('stream-record');
  });

  it("distrusts an updatedAt more than a minute from the stream's time (another clock wrote it)", () => {
    const written = recordWriteTime(record({ updatedAt: { S: '2024-05-01T10:00:00.000Z' } }));

    expect(written.source).toBe('stream-record');
  });
});

describe('FreshnessWindow', () => {
  it('reports no samples and null quantiles before anything was processed', () => {
    expect(new FreshnessWindow(60).summary(1_000_000)).toEqual({
      windowSeconds: 60,
      samples: 0,
      p50Ms: null,
      p99Ms: null,
    });
  });

  it('summarises the last 60 s only, as p50 and p99 of write time → success', () => {
    const window = new FreshnessWindow(60);
    const now = 1_000_000;
    window.add(now - 61_000, 50_000);
    for (let index = 1; index <= 100; index++) window.add(now - 1_000, index * 10);

    const summary = window.summary(now);

    expect(summary).toEqual({ windowSeconds: 60, samples: 100, p50Ms: 500, p99Ms: 990 });
  });

  it('combines a write-timed record and a stream-timed one into the same window', () => {
    const window = new FreshnessWindow(60);
    const withWriteTime = recordWriteTime(record({ updatedAt: { S: '2026-12-02T10:00:41.250Z' } }));
    const withoutWriteTime = recordWriteTime(record());
    const finished = Date.parse('2026-12-02T10:00:42.000Z');

    window.add(finished, finished - withWriteTime.writtenMs);
    window.add(finished, finished - withoutWriteTime.writtenMs);

    expect(window.summary(finished)).toMatchObject({ samples: 2, p50Ms: 750, p99Ms: 42_000 });
  });
});

describe('FreshnessBuckets', () => {
  // 10:00:00.000 UTC, a bucket boundary for any width that divides a minute.
  const minute = Date.parse('2026-12-02T10:00:00.000Z');

  it('reports every bucket of the span, empty ones included, before anything was processed', () => {
    const history = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30 }).history(
      minute + 4_000,
    );

    expect(history.bucketSeconds).toBe(10);
    expect(history.buckets).toHaveLength(30);
    expect(history.buckets[0]).toEqual({
      startMs: minute - 300_000,
      samples: 0,
      throughputPerSecond: 0,
      p50Ms: null,
      p99Ms: null,
    });
    expect(history.buckets.at(-1)?.startMs).toBe(minute - 10_000);
  });

  it('summarises each closed bucket as samples, records per second, p50 and p99', () => {
    const buckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30 });
    for (let index = 1; index <= 100; index++) buckets.add(minute + 2_000, index * 10);
    buckets.add(minute + 12_000, 700);

    const history = buckets.history(minute + 30_000);

    expect(history.buckets.slice(-3)).toEqual([
      { startMs: minute, samples: 100, throughputPerSecond: 10, p50Ms: 500, p99Ms: 990 },
      { startMs: minute + 10_000, samples: 1, throughputPerSecond: 0.1, p50Ms: 700, p99Ms: 700 },
      { startMs: minute + 20_000, samples: 0, throughputPerSecond: 0, p50Ms: null, p99Ms: null },
    ]);
  });

  it('leaves out the bucket still filling, so it never reads as a dip in throughput', () => {
    const buckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30 });
    buckets.add(minute + 1_000, 120);

    const filling = buckets.history(minute + 9_999);
    const closed = buckets.history(minute + 10_000);

    expect(filling.buckets.every((bucket) => bucket.samples === 0)).toBe(true);
    expect(closed.buckets.at(-1)).toMatchObject({ startMs: minute, samples: 1, p50Ms: 120 });
  });

  it('forgets buckets older than the span, whether or not anything is added', () => {
    const buckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 3 });
    buckets.add(minute + 1_000, 50);
    buckets.add(minute + 41_000, 60);

    const history = buckets.history(minute + 50_000);

    expect(history.buckets.map((bucket) => [bucket.startMs - minute, bucket.samples])).toEqual([
      [20_000, 0],
      [30_000, 0],
      [40_000, 1],
    ]);
  });

  it('counts a record that finished just before the open bucket began in the open bucket', () => {
    const buckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30 });
    buckets.add(minute + 10_001, 100);
    buckets.add(minute + 9_998, 300);

    const history = buckets.history(minute + 20_000);

    expect(history.buckets.slice(-2)).toMatchObject([
      { startMs: minute, samples: 0 },
      { startMs: minute + 10_000, samples: 2, p50Ms: 100, p99Ms: 300 },
    ]);
  });

  it('keeps a bounded sample per bucket at any rate, counting every record and keeping the quantiles close', () => {
    const buckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30, samplesPerBucket: 64 });
    for (let index = 1; index <= 10_000; index++) buckets.add(minute + 5_000, index);

    const [bucket] = buckets.history(minute + 10_000).buckets.slice(-1);

    expect(bucket?.samples).toBe(10_000);
    expect(bucket?.throughputPerSecond).toBe(1_000);
    expect(bucket?.p50Ms).toBeGreaterThanOrEqual(4_500);
    expect(bucket?.p50Ms).toBeLessThanOrEqual(5_500);
    expect(bucket?.p99Ms).toBeGreaterThanOrEqual(9_700);
  });
});

describe('quantileOf', () => {
  it('takes the nearest rank', () => {
    expect(quantileOf([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantileOf([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantileOf([], 0.5)).toBeNull();
  });
});
