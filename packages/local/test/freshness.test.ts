import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FreshnessWindow, quantileOf, recordWriteTime } from '../src/freshness.js';

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

describe('quantileOf', () => {
  it('takes the nearest rank', () => {
    expect(quantileOf([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantileOf([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantileOf([], 0.5)).toBeNull();
  });
});
