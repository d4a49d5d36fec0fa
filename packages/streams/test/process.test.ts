import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { insertRecord, modifyRecord, orderItem, streamEvent, userItem } from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DecodeError } from '../src/errors.js';
import {
  isolateByItem,
  processBatch,
  processRecords,
  runBatch,
  runRecords,
} from '../src/process.js';
import { compareSequenceNumbers } from '../src/sequence.js';
import type { ChangeEvent } from '../src/types.js';

// Collects what a real Powertools Logger or Metrics writes, to assert on the JSON lines.
const captureOutput = () => {
  const lines: string[] = [];
  const collect = (chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(collect),
    vi.spyOn(process.stderr, 'write').mockImplementation(collect),
  ];
  return {
    lines,
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
};

afterEach(() => vi.restoreAllMocks());

const silent = { debug() {}, info() {}, warn() {}, error() {} };

const order = (orderId: string, rev: number) =>
  orderItem({ orderId, rev, status: rev > 1 ? 'paid' : 'pending' });

/** A batch of `perItem` successive changes for each of `items` orders, interleaved. */
const interleaved = (items: number, perItem: number): DynamoDBRecord[] => {
  const records: DynamoDBRecord[] = [];
  for (let rev = 1; rev <= perItem; rev++) {
    for (let item = 0; item < items; item++) {
      const id = `o${item}`;
      records.push(
        rev === 1 ? insertRecord(order(id, 1)) : modifyRecord(order(id, rev - 1), order(id, rev)),
      );
    }
  }
  return records;
};

const seq = (record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!;

/** A synchronous handler that notes the sequence numbers it applies, in call order. */
const collecting = () => {
  const applied: string[] = [];
  const handler = (change: ChangeEvent): void => {
    applied.push(change.sequenceNumber);
  };
  return { applied, handler };
};

describe('processRecords', () => {
  it('returns no failures when every record is applied', async () => {
    const records = interleaved(3, 2);
    const { applied: seen, handler } = collecting();

    const response = await processRecords(streamEvent(...records), handler, { logger: silent });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(seen.sort(compareSequenceNumbers)).toEqual(records.map(seq));
  });

  it('reports the lowest failed sequence number and skips the later records of the failed item only', async () => {
    // o0: r1 ok, r2 fails, r3 must not run. o1: r2 fails later in the stream. o2: all fine.
    const records = interleaved(3, 3);
    const failing = new Set([seq(records[3]!), seq(records[4]!)]);
    const applied: string[] = [];

    const report = await runRecords(
      streamEvent(...records),
      async (change) => {
        await Promise.resolve();
        if (failing.has(change.sequenceNumber)) throw new Error('sink refused');
        applied.push(change.sequenceNumber);
      },
      { logger: silent },
    );

    expect(report.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[3]!) }] });
    expect(report.failed.map((failure) => failure.sequenceNumber)).toEqual([
      seq(records[3]!),
      seq(records[4]!),
    ]);
    expect(report.skipped).toEqual([seq(records[6]!), seq(records[7]!)]);
    expect(applied.sort(compareSequenceNumbers)).toEqual(
      [0, 1, 2, 5, 8].map((index) => seq(records[index]!)),
    );
  });

  it('turns a poison pill in the middle into its own failure and goes on with the rest', async () => {
    const records = interleaved(4, 1);
    records[2]!.dynamodb!.NewImage!.total = { N: 'not-a-number' };
    const { applied, handler } = collecting();

    const report = await runRecords(streamEvent(...records), handler, { logger: silent });

    expect(report.response.batchItemFailures).toEqual([{ itemIdentifier: seq(records[2]!) }]);
    expect(report.failed[0]!.error).toBeInstanceOf(DecodeError);
    expect(applied).toEqual([0, 1, 3].map((index) => seq(records[index]!)));
  });

  it('does not apply later records of an item whose earlier record cannot be decoded', async () => {
    const records = interleaved(2, 2);
    records[0]!.dynamodb!.NewImage!.total = { M: { amount: { N: '' } } };
    const { applied, handler } = collecting();

    const report = await runRecords(streamEvent(...records), handler, { logger: silent });

    expect(report.response.batchItemFailures).toEqual([{ itemIdentifier: seq(records[0]!) }]);
    expect(report.skipped).toEqual([seq(records[2]!)]);
    expect(applied).toEqual([seq(records[1]!), seq(records[3]!)]);
  });

  it('reports the whole batch from its first record when every record fails', async () => {
    const records = interleaved(3, 2);

    const response = await processRecords(
      streamEvent(...records),
      () => {
        throw new Error('sink down');
      },
      { logger: silent },
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[0]!) }] });
  });

  it('runs one item in stream order and bounds how many items run at once', async () => {
    const records = interleaved(6, 4);
    const order: Record<string, number[]> = {};
    let inFlight = 0;
    let peak = 0;

    await processRecords(
      streamEvent(...records),
      async (change) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        order[change.itemKey] = [...(order[change.itemKey] ?? []), change.newImage!.rev as number];
        inFlight--;
      },
      { logger: silent, concurrency: 3 },
    );

    expect(peak).toBe(3);
    for (const revs of Object.values(order)) expect(revs).toEqual([1, 2, 3, 4]);
  });

  it('never leaves a record below the checkpoint unapplied, nor applies one after its item failed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        // Per record, whether the handler answers synchronously or with a promise.
        fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        async (items, perItem, fails, asynchronous) => {
          const records = interleaved(items, perItem);
          const position = new Map(records.map((record, index) => [seq(record), index]));
          const failing = new Set(records.filter((_, index) => fails[index]).map(seq));

          const report = await runRecords(
            streamEvent(...records),
            (change) => {
              const fail = failing.has(change.sequenceNumber);
              if (!asynchronous[position.get(change.sequenceNumber)!]) {
                if (fail) throw new Error('no');
                return;
              }
              return fail ? Promise.reject(new Error('no')) : Promise.resolve();
            },
            { logger: silent, concurrency: 2 },
          );

          const checkpoint = report.response.batchItemFailures[0]?.itemIdentifier;
          const applied = new Set(report.applied);
          const decodedItemKey = (record: DynamoDBRecord) => record.dynamodb!.Keys!.SK!.S!;
          const failedItems = new Set<string>();
          for (const record of records) {
            const below =
              checkpoint === undefined || compareSequenceNumbers(seq(record), checkpoint) < 0;
            if (below) expect(applied.has(seq(record))).toBe(true);
            if (failedItems.has(decodedItemKey(record)))
              expect(applied.has(seq(record))).toBe(false);
            if (failing.has(seq(record))) failedItems.add(decodedItemKey(record));
          }
          expect(report.response.batchItemFailures.length).toBe(failing.size > 0 ? 1 : 0);
          expect(report.applied.length + report.failed.length + report.skipped.length).toBe(
            records.length,
          );
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('processBatch', () => {
  it('maps the failures a batch handler names back to Lambda, lowest first', async () => {
    const records = interleaved(3, 1);

    const report = await runBatch(
      streamEvent(...records),
      (changes) => ({
        failures: [
          { sequenceNumber: changes[2]!.sequenceNumber, error: new Error('429') },
          { sequenceNumber: changes[1]!.sequenceNumber, error: new Error('409?') },
        ],
      }),
      { logger: silent },
    );

    expect(report.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1]!) }] });
    expect(report.applied).toEqual([seq(records[0]!)]);
  });

  it('never hands the handler a poison pill or a later record of its item', async () => {
    const records = interleaved(2, 2);
    delete records[1]!.dynamodb!.NewImage;
    let given: string[] = [];

    const report = await runBatch(
      streamEvent(...records),
      (changes) => {
        given = changes.map((change) => change.sequenceNumber);
      },
      { logger: silent },
    );

    expect(given).toEqual([seq(records[0]!), seq(records[2]!)]);
    expect(report.skipped).toEqual([seq(records[3]!)]);
    expect(report.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1]!) }] });
  });

  it('fails every record it handed over when the handler throws', async () => {
    const records = interleaved(2, 2);

    const report = await runBatch(
      streamEvent(...records),
      async () => {
        throw new Error('bulk request refused');
      },
      { logger: silent },
    );

    expect(report.failed).toHaveLength(4);
    expect(report.response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[0]!) }] });
  });

  it('treats a result naming a record outside the batch as a failure of the whole batch', async () => {
    const records = interleaved(2, 1);

    const response = await processBatch(
      streamEvent(...records),
      () => ({
        failures: [{ sequenceNumber: '1', error: new Error('?') }],
      }),
      { logger: silent },
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[0]!) }] });
  });

  it('returns success for an empty batch without calling the handler', async () => {
    const handler = vi.fn();

    expect(await processBatch(streamEvent(), handler, { logger: silent })).toEqual({
      batchItemFailures: [],
    });
    expect(handler).not.toHaveBeenCalled();
  });
});

describe('isolateByItem', () => {
  it('blocks a failed change and the later changes of its item, not earlier ones or other items', async () => {
    const records = interleaved(2, 3);
    const changes: ChangeEvent[] = [];
    await runBatch(streamEvent(...records), (given) => void changes.push(...given), {
      logger: silent,
    });

    const { apply, blocked } = isolateByItem(changes, [changes[2]!.sequenceNumber]);

    expect(blocked.map((change) => change.sequenceNumber)).toEqual(
      [2, 4].map((i) => seq(records[i]!)),
    );
    expect(apply.map((change) => change.sequenceNumber)).toEqual(
      [0, 1, 3, 5].map((i) => seq(records[i]!)),
    );
  });
});

describe('logging and metrics', () => {
  it('logs a failure with its sequence number and event id but without the email of the item', async () => {
    const record = insertRecord(userItem({ email: 'ada@example.com', name: 'Ada Lovelace' }));
    const logger = new Logger({ serviceName: 'test', logLevel: 'DEBUG' });
    const out = captureOutput();

    await processRecords(
      streamEvent(record),
      (change, ctx) => {
        ctx.logger.info('applying', { newImage: change.newImage, email: change.newImage!.email });
        throw new Error(`duplicate email ${String(change.newImage!.email)} for ${change.keys.PK}`);
      },
      { logger },
    );
    out.restore();

    const text = out.lines.join('');
    const failure = out.lines
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'stream record failed');
    expect(failure).toMatchObject({
      sequenceNumber: seq(record),
      eventID: record.eventID,
      level: 'ERROR',
    });
    expect(failure.error.message).toContain('duplicate email');
    expect(text).not.toContain('ada@example.com');
    expect(text).not.toContain('Ada Lovelace');
  });

  it('emits RecordsIn, Applied, Skipped, Failed and BatchAgeMs as EMF', async () => {
    const records = interleaved(2, 2).map((record) => {
      record.dynamodb!.ApproximateCreationDateTime = 1_000;
      return record;
    });
    const metrics = new Metrics({ namespace: 'pipeline-test', serviceName: 'streams' });

    await processRecords(
      streamEvent(...records),
      (change) => {
        if (change.sequenceNumber === seq(records[0]!)) throw new Error('no');
      },
      { logger: silent, metrics, now: () => 1_000_000 + 2_500 },
    );
    const out = captureOutput();
    metrics.publishStoredMetrics();
    out.restore();

    const emf = JSON.parse(out.lines.join(''));
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe('pipeline-test');
    expect(emf).toMatchObject({
      RecordsIn: 4,
      Applied: 2,
      Skipped: 1,
      Failed: 1,
      BatchAgeMs: 2_500,
    });
  });
});
