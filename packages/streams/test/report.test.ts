import { insertRecord, orderItem } from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { decodeRecord } from '../src/decode.js';
import { DecodeError, UnreportableFailureError } from '../src/errors.js';
import type { LogSink } from '../src/logging.js';
import type { MetricsSink } from '../src/metrics.js';
import { batchResponse, Outcomes } from '../src/report.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Records of one shard, in stream order: `o1` r1, `o2` r1, `o1` r2, `o2` r2, `o3` r1. */
const shard = (): DynamoDBRecord[] =>
  [
    ['o1', 1],
    ['o2', 1],
    ['o1', 2],
    ['o2', 2],
    ['o3', 1],
  ].map(([orderId, rev]) =>
    insertRecord(orderItem({ orderId: orderId as string, rev: rev as number }), {
      approximateCreationDateTime: 1_000 + (rev as number),
    }),
  );
const seq = (record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!;
const failure = (sequenceNumber: string | undefined) => ({
  sequenceNumber,
  eventID: undefined,
  error: new Error('no'),
});

describe('batchResponse', () => {
  it('is an empty list when nothing failed', () => {
    expect(batchResponse(shard(), [])).toEqual({ batchItemFailures: [] });
  });

  it('names only the lowest failed sequence number, compared as numbers, whatever order failures come in', () => {
    const records = [
      { dynamodb: { SequenceNumber: '1000' } },
      { dynamodb: { SequenceNumber: '999' } },
    ];

    expect(batchResponse(records, [failure('1000'), failure('999')])).toEqual({
      batchItemFailures: [{ itemIdentifier: '999' }],
    });
  });

  it("checkpoints at the batch's lowest record when a failed record has no usable sequence number", () => {
    const records = shard();

    expect(batchResponse(records, [failure(seq(records[3]!)), failure(undefined)])).toEqual({
      batchItemFailures: [{ itemIdentifier: seq(records[0]!) }],
    });
  });

  it('throws rather than report success when no record has a usable sequence number', () => {
    const records = [{ dynamodb: { SequenceNumber: 'not-a-number' } }];

    expect(() => batchResponse(records, [failure(undefined)])).toThrow(UnreportableFailureError);
  });
});

describe('Outcomes', () => {
  it("reports the shard's lowest failure across items, while each item keeps its own failed and skipped records", () => {
    const records = shard();
    const outcomes = new Outcomes(records, silent);
    const change = (index: number) => decodeRecord(records[index]!);
    // o2 fails at its first record and skips its second; o1 fails only at its second.
    outcomes.applied(0);
    outcomes.failed(2, change(2), new Error('o1 r2'));
    outcomes.failed(1, change(1), new Error('o2 r1'));
    outcomes.skipped(3, seq(records[1]!));
    outcomes.applied(4);

    const report = outcomes.report({});

    expect(report.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1]!) }] });
    expect(report.applied).toEqual([seq(records[0]!), seq(records[4]!)]);
    expect(report.failed.map(({ sequenceNumber }) => sequenceNumber)).toEqual([
      seq(records[1]!),
      seq(records[2]!),
    ]);
    expect(report.failed.map(({ eventID }) => eventID)).toEqual([
      records[1]!.eventID,
      records[2]!.eventID,
    ]);
    expect(report.skipped).toEqual([seq(records[3]!)]);
  });

  it('reports a record never settled as failed, with no error', () => {
    const records = shard();
    const outcomes = new Outcomes(records, silent);
    for (const index of [0, 1, 3, 4]) outcomes.applied(index);

    const report = outcomes.report({});

    expect(outcomes.isPending(2)).toBe(true);
    expect(report.failed).toEqual([
      { sequenceNumber: seq(records[2]!), eventID: records[2]!.eventID, error: undefined },
    ]);
    expect(report.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[2]!) }] });
  });

  it('counts the batch, ages it from its oldest record and adds the metrics', () => {
    const records = shard();
    const outcomes = new Outcomes(records, silent);
    outcomes.applied(0);
    outcomes.applied(1);
    outcomes.failed(2, decodeRecord(records[2]!), new Error('no'));
    outcomes.skipped(3, seq(records[2]!));
    const addMetric = vi.fn();
    const metrics = { addMetric } as unknown as MetricsSink;

    const report = outcomes.report({ metrics, now: () => 1_001_000 + 250 });

    expect(report.counts).toEqual({
      recordsIn: 5,
      applied: 2,
      skipped: 1,
      failed: 2,
      batchAgeMs: 250,
    });
    expect(addMetric.mock.calls).toEqual([
      ['RecordsIn', 'Count', 5],
      ['Applied', 'Count', 2],
      ['Skipped', 'Count', 1],
      ['Failed', 'Count', 2],
      ['BatchAgeMs', 'Milliseconds', 250],
    ]);
  });

  it('logs each failed, undecodable and skipped record with its sequence number and event id', () => {
    const records = shard();
    const lines: [string, string, Record<string, unknown>][] = [];
    const sink: LogSink = {
      debug: () => {},
      info: () => {},
      warn: (message: string, extra: Record<string, unknown>) =>
        void lines.push(['warn', message, extra]),
      error: (message: string, extra: Record<string, unknown>) =>
        void lines.push(['error', message, extra]),
    } as unknown as LogSink;
    const outcomes = new Outcomes(records, sink);
    const poison = new DecodeError('missingImage', 'no image', {
      sequenceNumber: seq(records[0]!),
      eventID: records[0]!.eventID,
    });

    outcomes.undecodable(0, poison);
    outcomes.failed(1, decodeRecord(records[1]!), new Error('sink refused'));
    outcomes.skipped(2, seq(records[0]!));

    expect(lines).toEqual([
      [
        'error',
        'stream record cannot be decoded',
        expect.objectContaining({ sequenceNumber: seq(records[0]!), eventID: records[0]!.eventID }),
      ],
      [
        'error',
        'stream record failed',
        expect.objectContaining({
          sequenceNumber: seq(records[1]!),
          eventID: records[1]!.eventID,
          entityType: 'Order',
          kind: 'insert',
        }),
      ],
      [
        'warn',
        'stream record skipped: an earlier record of the same item failed',
        expect.objectContaining({
          sequenceNumber: seq(records[2]!),
          eventID: records[2]!.eventID,
          blockedBy: seq(records[0]!),
        }),
      ],
    ]);
    expect(outcomes.hasFailed(0)).toBe(true);
    expect(outcomes.report({}).failed[0]!.error).toBe(poison);
  });
});
