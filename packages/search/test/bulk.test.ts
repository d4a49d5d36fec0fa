import { decodeRecord } from '@pipeline/streams';
import { insertRecord, modifyRecord, orderItem, removeRecord, userItem } from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { chunkBySize } from '../src/bulk.js';
import {
  type BulkClient,
  type BulkOperation,
  planSync,
  sendBulk,
  serializeOperation,
} from '../src/index.js';

const op = (id: string, padding = 0): BulkOperation => ({
  index: 'orders-write',
  id,
  version: 7,
  source: { orderId: id, pad: 'x'.repeat(padding) },
});

/** A fake bulk endpoint answering each item from a script, for the faults a real engine cannot produce on demand. */
const fakeBulk = (
  answer: (id: string, call: number) => number,
  maxBytes = Number.POSITIVE_INFINITY,
) => {
  const calls: string[][] = [];
  const client: BulkClient = {
    bulk: (async ({ body }: { body: string }) => {
      const ids = body
        .split('\n')
        .filter((_, k) => k % 2 === 0)
        .filter(Boolean)
        .map((line) => JSON.parse(line).index._id as string);
      calls.push(ids);
      if (Buffer.byteLength(body) > maxBytes)
        throw Object.assign(new Error('too large'), { meta: { statusCode: 413 } });
      return {
        body: { items: ids.map((id) => ({ index: { status: answer(id, calls.length) } })) },
      };
    }) as never,
  };
  return { client, calls };
};

describe('serializeOperation and chunkBySize', () => {
  it('writes an external-versioned index action and its source as two lines', () => {
    expect(serializeOperation(op('o1'))).toBe(
      '{"index":{"_index":"orders-write","_id":"o1","version":7,"version_type":"external"}}\n{"orderId":"o1","pad":""}\n',
    );
  });

  it('cuts chunks at the byte limit and sends an oversized operation alone', () => {
    expect(chunkBySize([4, 4, 4, 20, 1], 8)).toEqual([[0, 1], [2], [3], [4]]);
    expect(chunkBySize([], 8)).toEqual([]);
  });
});

describe('sendBulk', () => {
  const size = Buffer.byteLength(serializeOperation(op('a', 100)));
  const quick = { sleep: async () => {}, random: () => 0 };

  it('sends a whole batch as one request and counts 409 as done', async () => {
    const { client, calls } = fakeBulk((id) => (id === 'b' ? 409 : 201));
    const outcome = await sendBulk(client, [op('a'), op('b'), op('c')], quick);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(outcome).toMatchObject({ requests: 1, conflicts: 1, retries: 0 });
    expect(outcome.failures.size).toBe(0);
  });

  it('retries only the 429 and 5xx items, and gives up on a 400 at once', async () => {
    const { client, calls } = fakeBulk((id, call) =>
      id === 'bad' ? 400 : call === 1 && id !== 'a' ? (id === 'b' ? 429 : 503) : 201,
    );
    const outcome = await sendBulk(client, [op('a'), op('b'), op('c'), op('bad')], quick);
    expect(calls).toEqual([
      ['a', 'b', 'c', 'bad'],
      ['b', 'c'],
    ]);
    expect([...outcome.failures.keys()]).toEqual([3]);
    expect(outcome.failures.get(3)).toMatchObject({ code: 'search.bulkItemFailed', status: 400 });
  });

  it('splits a request answered 413 until the halves fit', async () => {
    const { client, calls } = fakeBulk(() => 201, 2 * size);
    const operations = ['a', 'b', 'c', 'd'].map((id) => op(id, 100));
    const outcome = await sendBulk(client, operations, quick);
    expect(calls).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(outcome.failures.size).toBe(0);
  });

  it('splits by size before sending, so no request passes maxBulkBytes', async () => {
    const { client, calls } = fakeBulk(() => 201);
    await sendBulk(
      client,
      ['a', 'b', 'c'].map((id) => op(id, 100)),
      { ...quick, maxBulkBytes: 2 * size + 1 },
    );
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });

  it('stops retrying when the next backoff would pass the deadline', async () => {
    let clock = 0;
    const { client, calls } = fakeBulk(() => 429);
    const outcome = await sendBulk(client, [op('a')], {
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      random: () => 1,
      deadline: 1_000,
    });
    // Delays of 100, 200 and 400 ms fit in the second; the next 800 would not.
    expect(calls).toHaveLength(4);
    expect(outcome.failures.get(0)).toMatchObject({ status: 429 });
  });

  it('retries a whole request that failed with a 5xx or no response', async () => {
    let calls = 0;
    const client: BulkClient = {
      bulk: (async () => {
        calls++;
        if (calls === 1)
          throw Object.assign(new Error('bad gateway'), { meta: { statusCode: 502 } });
        return { body: { items: [{ index: { status: 200 } }] } };
      }) as never,
    };
    const outcome = await sendBulk(client, [op('a')], quick);
    expect(calls).toBe(2);
    expect(outcome.failures.size).toBe(0);
  });
});

describe('planSync', () => {
  const decode = (record: Parameters<typeof decodeRecord>[0]) => decodeRecord(record);

  it('names orders from header and line changes, and fans out a rename but not a points change', () => {
    const oldUser = userItem({ userId: 'u1', rev: 1 });
    const records = [
      modifyRecord(oldUser, userItem({ userId: 'u1', rev: 2, loyaltyPoints: 5 })),
      modifyRecord(
        userItem({ userId: 'u2', rev: 1 }),
        userItem({ userId: 'u2', name: 'New', rev: 2 }),
      ),
      insertRecord(orderItem({ orderId: 'o1', userId: 'u1', rev: 3 })),
      insertRecord({
        PK: 'ORDER#o2',
        SK: 'ITEM#p1',
        entityType: 'OrderItem',
        orderId: 'o2',
        productId: 'p1',
        rev: 4,
      }),
      removeRecord(orderItem({ orderId: 'o3', userId: 'u1', rev: 9 })),
    ];
    const plan = planSync(records.map(decode));
    expect([...plan.users.keys()]).toEqual(['u1', 'u2']);
    expect(plan.users.get('u1')?.write?.version).toBe(2);
    expect([...plan.customers.keys()]).toEqual(['u2']);
    expect(plan.orders.get('o1')).toMatchObject({
      userId: 'u1',
      sequenceNumbers: [records[2]!.dynamodb!.SequenceNumber],
    });
    expect(plan.orders.get('o2')?.userId).toBeUndefined();
    expect(plan.orders.get('o3')?.deletedHeader).toMatchObject({ rev: 9, userId: 'u1' });
  });

  it('turns a user REMOVE into a marker one above the last rev and a scrub of their orders', () => {
    const removed = removeRecord(userItem({ userId: 'u1', rev: 7 }));
    const plan = planSync([decode(removed)]);
    expect(plan.users.get('u1')?.write).toMatchObject({ version: 8, source: { deleted: true } });
    expect(plan.customers.get('u1')).toMatchObject({ removedRev: 7 });
  });
});
