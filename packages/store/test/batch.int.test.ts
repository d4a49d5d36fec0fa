import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { keys } from '@pipeline/model';
import { localDynamoDbClient, type TestTable } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ItemTooLargeError, UnprocessedItemsError } from '../src/errors.js';
import { createStore, type Store } from '../src/store.js';
import { id, tableWithStore } from './support.js';

let table: TestTable;
let store: Store;

const products = (count: number, prefix = id('bp')) =>
  Array.from({ length: count }, (_, index) => ({
    ...keys.product(`${prefix}-${index}`),
    entityType: 'Product',
    productId: `${prefix}-${index}`,
  }));

/**
 * A client whose batch calls lose work the way a throttled table does: for the first
 * `faultyCalls` calls, only half of each request reaches DynamoDB Local and the other half
 * comes back unprocessed. With `faultyCalls` Infinity nothing ever gets through.
 */
const throttledClient = (faultyCalls: number) => {
  const client = localDynamoDbClient();
  const realSend = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const calls = { write: 0, get: 0 };
  client.send = (async (command: unknown) => {
    if (command instanceof BatchWriteItemCommand) {
      calls.write++;
      if (calls.write > faultyCalls) return realSend(command);
      const [tableName, requests] = Object.entries(command.input.RequestItems ?? {})[0]!;
      const keep = Number.isFinite(faultyCalls) ? Math.ceil(requests.length / 2) : 0;
      if (keep > 0) {
        await realSend(
          new BatchWriteItemCommand({
            RequestItems: { [tableName]: requests.slice(0, keep) },
          } satisfies BatchWriteItemCommandInput),
        );
      }
      return { UnprocessedItems: { [tableName]: requests.slice(keep) } };
    }
    if (command instanceof BatchGetItemCommand) {
      calls.get++;
      if (calls.get > faultyCalls) return realSend(command);
      const [tableName, request] = Object.entries(command.input.RequestItems ?? {})[0]!;
      const requestKeys = request.Keys ?? [];
      const keep = Number.isFinite(faultyCalls) ? Math.ceil(requestKeys.length / 2) : 0;
      const served =
        keep > 0
          ? ((await realSend(
              new BatchGetItemCommand({
                RequestItems: { [tableName]: { ...request, Keys: requestKeys.slice(0, keep) } },
              } satisfies BatchGetItemCommandInput),
            )) as { Responses?: Record<string, unknown[]> })
          : { Responses: { [tableName]: [] } };
      return {
        Responses: served.Responses,
        UnprocessedKeys: { [tableName]: { ...request, Keys: requestKeys.slice(keep) } },
      };
    }
    return realSend(command);
  }) as typeof client.send;
  return { client, calls };
};

beforeAll(async () => {
  ({ table, store } = await tableWithStore());
});

describe('batch put and get', () => {
  it('writes and reads more items than one request holds, stamping audit attributes', async () => {
    const items = products(130);

    await store.items.batchPut(items);
    const read = await store.items.batchGet([...items, ...items.slice(0, 5)]);

    expect(read).toHaveLength(130);
    expect(
      read.every((item) => typeof item.rev === 'number' && item.createdAt && item.updatedAt),
    ).toBe(true);
  });

  it('retries unprocessed items with growing, capped, jittered delays until all are written', async () => {
    const { client, calls } = throttledClient(3);
    const delays: number[] = [];
    const faulty = createStore({
      tableName: table.tableName,
      client,
      retry: {
        sleep: async (ms) => void delays.push(ms),
        random: () => 0.999,
        baseDelayMs: 10,
        maxDelayMs: 25,
      },
    });
    const items = products(20);

    await faulty.items.batchPut(items);
    const read = await store.items.batchGet(items);

    expect(read).toHaveLength(20);
    expect(calls.write).toBe(4);
    expect(delays).toEqual([9, 19, 24]);
    client.destroy();
  });

  it('retries unprocessed keys of a batch get until all are read', async () => {
    const items = products(30);
    await store.items.batchPut(items);
    const { client, calls } = throttledClient(2);
    const faulty = createStore({
      tableName: table.tableName,
      client,
      retry: { sleep: async () => {} },
    });

    const read = await faulty.items.batchGet(items);

    expect(read.map((item) => item.productId).sort()).toEqual(
      items.map((item) => item.productId).sort(),
    );
    expect(calls.get).toBe(3);
    client.destroy();
  });

  it('fails with UnprocessedItemsError when items stay unprocessed after the last attempt', async () => {
    const { client, calls } = throttledClient(Number.POSITIVE_INFINITY);
    const faulty = createStore({
      tableName: table.tableName,
      client,
      retry: { sleep: async () => {}, maxAttempts: 4 },
    });
    const items = products(3);

    const write = faulty.items.batchPut(items);
    await expect(write).rejects.toBeInstanceOf(UnprocessedItemsError);
    await expect(write).rejects.toMatchObject({
      code: 'store.unprocessedItems',
      unprocessedCount: 3,
      attempts: 4,
    });
    const read = faulty.items.batchGet(items);
    await expect(read).rejects.toMatchObject({ operation: 'BatchGetItem', unprocessedCount: 3 });

    expect(calls.write).toBe(4);
    expect(await store.items.batchGet(items)).toEqual([]);
    client.destroy();
  });

  it('rejects an item over 400 KB before sending anything', async () => {
    const items = products(3);
    const oversized = [...items, { ...products(1)[0]!, padding: 'x'.repeat(400 * 1024) }];

    const write = store.items.batchPut(oversized);

    await expect(write).rejects.toBeInstanceOf(ItemTooLargeError);
    await expect(write).rejects.toMatchObject({ code: 'store.itemTooLarge', limitBytes: 409_600 });
    expect(await store.items.batchGet(items)).toEqual([]);
  });
});
