import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { LocalRunner } from '@pipeline/local';
import type { Store } from '@pipeline/store';
import { localStreamsClient, type TestTable } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, createSearchSyncConsumer, type SearchSyncOptions } from '../src/index.js';
import { aliasTargets } from '../src/indices.js';
import { type SearchFixture, startRunner, startSyncFixture } from './support.js';

let table: TestTable;
let streams: DynamoDBStreamsClient;
let search: SearchFixture;
let store: Store;
let runner: LocalRunner;

beforeAll(async () => {
  let options: SearchSyncOptions;
  ({ table, search, store, options } = await startSyncFixture());
  streams = localStreamsClient();
  runner = startRunner(table.streamArn!, streams, createSearchSyncConsumer(options));
});

afterAll(async () => {
  await runner.stop();
  await search.stop();
  streams.destroy();
});

const line = (productId: string, amount: number) => ({
  productId,
  name: `Product ${productId}`,
  quantity: 1,
  unitPrice: { amount, currency: 'EUR' },
});

/** Live orders in the table: id → what the index must show. */
const tableOrders = async () => {
  const items = [];
  let startKey: Record<string, never> | undefined;
  do {
    const page = await table.client.send(
      new ScanCommand({
        TableName: table.tableName,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    startKey = page.LastEvaluatedKey as typeof startKey;
  } while (startKey);
  const names = new Map(
    items.filter((item) => item.entityType === 'User').map((user) => [user.userId, user.name]),
  );
  return new Map(
    items
      .filter((item) => item.entityType === 'Order')
      .map((order) => [
        order.orderId as string,
        { status: order.status, customerName: names.get(order.userId) },
      ]),
  );
};

/** Live order documents behind the read alias: id → status and customer name. */
const indexedOrders = async () => {
  await search.client.indices.refresh({ index: search.names.orders.read });
  const response = await search.client.search({
    index: search.names.orders.read,
    body: { size: 1000, query: { bool: { must_not: [{ term: { deleted: true } }] } } } as never,
  });
  const hits = (
    response.body as unknown as {
      hits: { hits: { _id: string; _source: Record<string, unknown> }[] };
    }
  ).hits.hits;
  return new Map(
    hits.map((hit) => [
      hit._id,
      { status: hit._source.status, customerName: hit._source.customerName },
    ]),
  );
};

describe('backfill', () => {
  it('ends with the index equal to the table while stream writes race it', async () => {
    // Prepare: 20 customers with two orders each, synced through the stream into the first index.
    const customers = [];
    for (let n = 0; n < 20; n++) {
      const userId = `bf${n}${Date.now().toString(36)}`;
      const user = await store.users.create({
        userId,
        email: `${userId}@example.com`,
        name: `Customer ${n}`,
      });
      const orders = [];
      for (const k of [0, 1]) {
        orders.push(
          (
            await store.orders.create({
              userId,
              orderId: `${userId}o${k}`,
              items: [line(`p${k}`, 100 + n)],
            })
          ).order,
        );
      }
      customers.push({ user, orders });
    }
    await runner.waitForIdle();
    const before = await aliasTargets(search.client, search.names.orders.read);
    // Act: backfill in small pages while the stream renames, pays, deletes and creates.
    const racing = (async () => {
      for (const [n, { user, orders }] of customers.entries()) {
        const [first, second] = orders;
        if (n % 4 === 0)
          await store.users.update({
            userId: user.userId,
            expectedRev: user.rev,
            name: `Renamed ${n}`,
          });
        if (n % 4 === 1)
          await store.orders.updateStatus({
            userId: user.userId,
            orderId: first!.orderId,
            expectedRev: first!.rev,
            to: 'paid',
          });
        if (n % 4 === 2)
          await store.orders.delete({ userId: user.userId, orderId: second!.orderId });
        if (n % 4 === 3)
          await store.orders.create({
            userId: user.userId,
            orderId: `${user.userId}o9`,
            items: [line('p9', 9)],
          });
      }
    })();
    const result = await backfill({
      dynamodb: table.client,
      tableName: table.tableName,
      search: search.client,
      prefix: search.prefix,
      segments: 3,
      pageSize: 7,
    });
    await racing;
    await runner.waitForIdle();
    // Assess
    expect(await aliasTargets(search.client, search.names.orders.read)).toEqual([
      result.ordersIndex,
    ]);
    expect(before).not.toContain(result.ordersIndex);
    const expected = await tableOrders();
    expect(expected.size).toBe(20 * 2 - 5 + 5);
    expect(await indexedOrders()).toEqual(expected);
  });

  it('resumes from the saved segment positions after a failure', async () => {
    // Prepare
    const resumeFile = join(mkdtempSync(join(tmpdir(), 'backfill-')), 'state.json');
    const options = {
      dynamodb: table.client,
      tableName: table.tableName,
      search: search.client,
      prefix: search.prefix,
      segments: 2,
      pageSize: 10,
      resumeFile,
    };
    let pages = 0;
    // Act
    const failed = backfill({
      ...options,
      onProgress: () => {
        if (++pages === 3) throw new Error('interrupted');
      },
    });
    await expect(failed).rejects.toThrow('interrupted');
    const result = await backfill(options);
    // Assess
    expect(result.resumed).toBe(true);
    expect(await aliasTargets(search.client, search.names.orders.read)).toEqual([
      result.ordersIndex,
    ]);
    expect(await indexedOrders()).toEqual(await tableOrders());
  });
});
