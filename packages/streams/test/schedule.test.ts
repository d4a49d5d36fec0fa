import { insertRecord, orderItem } from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itemKeyOf, rawItemKey } from '../src/decode.js';
import { Outcomes } from '../src/report.js';
import { ItemGate, runByItem, type Step } from '../src/schedule.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A record of item `pk`, with only what the scheduler reads: its keys. */
const keyed = (pk: string): DynamoDBRecord => ({
  dynamodb: { Keys: { PK: { S: pk }, SK: { S: 'METADATA' } } },
});
const keyOf = (pk: string) => itemKeyOf(pk, 'METADATA');
const keyless: DynamoDBRecord = { dynamodb: {} };

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A step that answers synchronously for `sync` indices and otherwise waits to be finished. */
const controlled = (sync: ReadonlySet<number> = new Set()) => {
  const calls: [number, string | undefined][] = [];
  const running = new Map<number, () => void>();
  const step: Step = (index, key) => {
    calls.push([index, key]);
    if (sync.has(index)) return undefined;
    return new Promise<void>((resolve) => running.set(index, resolve));
  };
  const finish = async (index: number) => {
    running.get(index)!();
    running.delete(index);
    await settle();
  };
  return { calls, running, step, finish };
};

describe('runByItem', () => {
  it('runs the batch in stream order in one pass, with no keys and no promise, while every step is synchronous', () => {
    const records = [keyed('A'), keyed('B'), keyed('A'), keyless, keyed('C')];
    const { calls, step } = controlled(new Set([0, 1, 2, 3, 4]));

    expect(runByItem(records, 2, step)).toBeUndefined();
    expect(calls).toEqual([0, 1, 2, 3, 4].map((index) => [index, undefined]));
  });

  it('from the first record still running, runs each item in stream order, items in order of first appearance, at most `concurrency` at once', async () => {
    //              0           1           2           3           4           5
    const records = [keyed('A'), keyed('B'), keyed('A'), keyed('C'), keyed('B'), keyed('D')];
    const { calls, running, step, finish } = controlled(new Set([0]));

    const done = runByItem(records, 2, step);

    // Record 1 is still running: its item's lane waits for it; the next item starts.
    expect(calls).toEqual([
      [0, undefined],
      [1, undefined],
      [2, keyOf('A')],
    ]);
    await finish(1);
    expect(calls.at(-1)).toEqual([4, keyOf('B')]);
    await finish(2);
    expect(calls.at(-1)).toEqual([3, keyOf('C')]);
    expect([...running.keys()].sort()).toEqual([3, 4]);
    await finish(4);
    expect(calls.at(-1)).toEqual([5, keyOf('D')]);
    await finish(3);
    await finish(5);

    await expect(done).resolves.toBeUndefined();
    expect(calls).toHaveLength(records.length);
  });

  it('runs the rest of an item synchronously behind its record that was still running', async () => {
    const records = [keyed('A'), keyed('A'), keyed('A'), keyed('B')];
    const { calls, step, finish } = controlled(new Set([1, 2, 3]));

    const done = runByItem(records, 1, step);

    expect(calls).toEqual([[0, undefined]]);
    await finish(0);
    expect(calls).toEqual([
      [0, undefined],
      [1, keyOf('A')],
      [2, keyOf('A')],
      [3, keyOf('B')],
    ]);
    await expect(done).resolves.toBeUndefined();
  });

  it('runs each record without readable keys once, on its own, without holding back other items', async () => {
    const records = [keyed('A'), keyless, keyed('A'), keyless, keyed('B')];
    const { calls, step, finish } = controlled(new Set([1, 3, 4]));

    const done = runByItem(records, 2, step);

    expect(calls).toEqual([
      [0, undefined],
      [1, undefined],
      [3, undefined],
      [4, keyOf('B')],
    ]);
    await finish(0);
    await finish(2);
    await expect(done).resolves.toBeUndefined();
    expect(calls.map(([index]) => index).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('runs every record once, one item at a time in stream order, never more items than allowed (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ item: fc.integer({ min: 0, max: 4 }), ticks: fc.nat(3) }), {
          maxLength: 24,
        }),
        fc.integer({ min: 1, max: 4 }),
        async (plan, concurrency) => {
          const records = plan.map(({ item }) => keyed(`I${item}`));
          const started: number[] = [];
          const busyItems = new Set<number>();
          let peak = 0;
          const step: Step = (index) => {
            const { item, ticks } = plan[index]!;
            expect(busyItems.has(item)).toBe(false);
            started.push(index);
            if (ticks === 0) return undefined;
            busyItems.add(item);
            peak = Math.max(peak, busyItems.size);
            let wait = Promise.resolve();
            for (let tick = 1; tick < ticks; tick++) wait = wait.then(() => undefined);
            return wait.then(() => {
              busyItems.delete(item);
            });
          };

          await runByItem(records, concurrency, step);

          expect([...started].sort((a, b) => a - b)).toEqual(plan.map((_, index) => index));
          for (let item = 0; item <= 4; item++) {
            const ofItem = started.filter((index) => plan[index]!.item === item);
            expect(ofItem).toEqual([...ofItem].sort((a, b) => a - b));
          }
          expect(peak).toBeLessThanOrEqual(concurrency);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ItemGate', () => {
  const order = (orderId: string, rev: number) => insertRecord(orderItem({ orderId, rev }));
  const seq = (record: DynamoDBRecord) => record.dynamodb!.SequenceNumber!;

  it('skips the later records of an item once one failed, not its earlier ones nor other items', () => {
    const records = [order('o1', 1), order('o1', 2), order('o2', 1), order('o1', 3)];
    const outcomes = new Outcomes(records, silent);
    const gate = new ItemGate(records, outcomes);

    const first = gate.admit(0)!;
    outcomes.applied(0);
    const second = gate.admit(1)!;
    gate.fail(1, second, new Error('sink refused'));
    const other = gate.admit(2);
    outcomes.applied(2);

    expect(first.sequenceNumber).toBe(seq(records[0]!));
    expect(other?.sequenceNumber).toBe(seq(records[2]!));
    expect(gate.admit(3)).toBeUndefined();
    const report = outcomes.report({});
    expect(report.applied).toEqual([seq(records[0]!), seq(records[2]!)]);
    expect(report.failed.map((failure) => failure.sequenceNumber)).toEqual([seq(records[1]!)]);
    expect(report.skipped).toEqual([seq(records[3]!)]);
  });

  it('fails a record that cannot be decoded and blocks its item, whose key it reads or is given', () => {
    const records = [order('o1', 1), order('o1', 2), order('o2', 1), order('o2', 2)];
    delete records[0]!.dynamodb!.NewImage;
    delete records[2]!.dynamodb!.NewImage;
    const outcomes = new Outcomes(records, silent);
    const gate = new ItemGate(records, outcomes);

    expect(gate.admit(0)).toBeUndefined();
    expect(gate.admit(1)).toBeUndefined();
    expect(gate.admit(2, rawItemKey(records[2]!))).toBeUndefined();
    expect(gate.admit(3, rawItemKey(records[3]!))).toBeUndefined();

    const report = outcomes.report({});
    expect(report.failed.map((failure) => failure.sequenceNumber)).toEqual([
      seq(records[0]!),
      seq(records[2]!),
    ]);
    expect(report.skipped).toEqual([seq(records[1]!), seq(records[3]!)]);
  });

  it('blocks nothing for a record without readable keys', () => {
    const records = [order('o1', 1), order('o1', 2)];
    delete records[0]!.dynamodb!.Keys;
    const outcomes = new Outcomes(records, silent);
    const gate = new ItemGate(records, outcomes);

    expect(gate.admit(0)).toBeUndefined();
    expect(gate.admit(1)?.sequenceNumber).toBe(seq(records[1]!));
    expect(outcomes.hasFailed(0)).toBe(true);
  });
});
