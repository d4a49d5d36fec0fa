import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { LocalRunner } from '@pipeline/local';
import type { Store } from '@pipeline/store';
import {
  insertRecord,
  localStreamsClient,
  streamEvent,
  type TestTable,
  userItem,
} from '@pipeline/testing';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BulkClient,
  createSearchSyncConsumer,
  type SearchSyncOptions,
  searchOrders,
  searchUsers,
  sendBulk,
} from '../src/index.js';
import {
  createCustomerWithOrder,
  eventually,
  getDocument,
  recording,
  type SearchFixture,
  startRunner,
  startSyncFixture,
} from './support.js';

let table: TestTable;
let streams: DynamoDBStreamsClient;
let search: SearchFixture;
let store: Store;
let options: SearchSyncOptions;
let runner: LocalRunner | undefined;
let events: DynamoDBStreamEvent[];

beforeAll(async () => {
  ({ table, search, store, options } = await startSyncFixture());
  streams = localStreamsClient();
  const recorder = recording(createSearchSyncConsumer(options));
  events = recorder.events;
  runner = startRunner(table.streamArn!, streams, recorder.handler);
});

afterEach(async () => {
  await runner?.waitForIdle();
});

afterAll(async () => {
  await runner?.stop();
  await search.stop();
  streams.destroy();
});

let sequence = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${sequence++}`;

const placeOrder = async (name = 'Ada Lovelace') => {
  const userId = unique('u');
  const orderId = unique('o');
  const { user, order } = await createCustomerWithOrder(store, {
    userId,
    orderId,
    name,
    items: [
      {
        productId: 'p-engine',
        name: 'Analytical Engine',
        quantity: 1,
        unitPrice: { amount: 99_00, currency: 'EUR' },
      },
      {
        productId: 'p-cards',
        name: 'Punched Cards',
        quantity: 3,
        unitPrice: { amount: 2_50, currency: 'EUR' },
      },
    ],
  });
  return { user, order, userId, orderId };
};

const orderDoc = (orderId: string) => getDocument(search.client, search.names.orders.read, orderId);

/** The recorded events that carry a record of `pk`, oldest first. */
const eventsTouching = (pk: string): DynamoDBStreamEvent[] =>
  events
    .map((event) => ({
      Records: event.Records.filter((record) => record.dynamodb?.Keys?.PK?.S === pk),
    }))
    .filter((event) => event.Records.length > 0);

describe('sync-search through DynamoDB Local, the local runner and OpenSearch', () => {
  it('makes orders written through the store searchable by customer, item name and order id', async () => {
    // Prepare
    const { orderId, userId } = await placeOrder('Grace Hopper');
    // Act
    const byName = await eventually(async () => {
      await search.client.indices.refresh({ index: search.names.orders.read });
      const page = await searchOrders(search.client, { text: 'grace hopper', userId }, search);
      return page.total > 0 ? page : undefined;
    });
    const byItem = await searchOrders(search.client, { text: 'punched', userId }, search);
    const byId = await searchOrders(search.client, { text: orderId }, search);
    await search.client.indices.refresh({ index: search.names.users.read });
    const users = await searchUsers(search.client, { text: `${userId}@example.com` }, search);
    // Assess
    expect(byName.hits[0]).toMatchObject({
      orderId,
      userId,
      status: 'pending',
      total: { amount: 106_50, currency: 'EUR' },
      itemProductIds: ['p-cards', 'p-engine'],
      itemNames: ['Punched Cards', 'Analytical Engine'],
      customerName: 'Grace Hopper',
      customerEmail: `${userId}@example.com`,
    });
    expect(byItem.hits.map((hit) => hit.orderId)).toEqual([orderId]);
    expect(byId.hits.map((hit) => hit.orderId)).toEqual([orderId]);
    expect(users.hits.map((hit) => hit.userId)).toEqual([userId]);
  });

  it('never regresses an order when an older batch is replayed after a newer one', async () => {
    // Prepare
    const { userId, orderId, order } = await placeOrder();
    const paid = await store.orders.updateStatus({
      userId,
      orderId,
      expectedRev: order.rev,
      to: 'paid',
    });
    await store.orders.updateStatus({ userId, orderId, expectedRev: paid.rev, to: 'shipped' });
    const shipped = await eventually(async () => {
      const doc = await orderDoc(orderId);
      return doc?.source.status === 'shipped' ? doc : undefined;
    });
    await runner!.waitForIdle();
    const older = eventsTouching(`USER#${userId}`);
    const consumer = createSearchSyncConsumer(options);
    // Act: the newest batch first, then every older one, oldest last.
    const replies = [];
    for (const event of [...older].reverse()) replies.push(await consumer(event));
    // Assess
    expect(replies.every((reply) => reply.batchItemFailures.length === 0)).toBe(true);
    expect(await orderDoc(orderId)).toEqual(shipped);
  });

  it('tells its metrics how many table reads and bulk requests a batch made, and how long each took', async () => {
    // Prepare: the batches of one order, replayed through a consumer whose every table read
    // takes 30 ms longer and whose every bulk request 60 ms longer.
    const { userId, orderId } = await placeOrder();
    await eventually(() => orderDoc(orderId));
    await runner!.waitForIdle();
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const slowTable = Object.assign(Object.create(table.client), {
      send: async (...args: Parameters<typeof table.client.send>) => {
        await pause(30);
        return table.client.send(...args);
      },
    }) as typeof table.client;
    const slowBulk: BulkClient = {
      bulk: (async (params: Parameters<BulkClient['bulk']>[0]) => {
        await pause(60);
        return search.client.bulk(params);
      }) as BulkClient['bulk'],
    };
    const recorded: [name: string, unit: string, value: number][] = [];
    const consumer = createSearchSyncConsumer({
      ...options,
      dynamodb: slowTable,
      client: slowBulk,
      reader: search.client,
      metrics: {
        addMetric: (name: string, unit: string, value: number) => {
          recorded.push([name, unit, value]);
        },
      } as unknown as SearchSyncOptions['metrics'],
    });
    // Act
    for (const event of eventsTouching(`USER#${userId}`)) await consumer(event);
    // Assess: every batch that read the table or sent a bulk request reports its time.
    const of = (name: string) => recorded.filter(([metric]) => metric === name);
    const reads = of('SearchTableReads').map(([, , value]) => value);
    const readTimes = of('SearchTableReadTime');
    const bulks = of('SearchBulkRequests').map(([, , value]) => value);
    const bulkTimes = of('SearchBulkTime');
    expect(reads.length).toBeGreaterThan(0);
    expect(readTimes.map(([, unit]) => unit)).toEqual(reads.map(() => 'Milliseconds'));
    expect(bulkTimes.map(([, unit]) => unit)).toEqual(bulks.map(() => 'Milliseconds'));
    for (const [batch, [, , ms]] of readTimes.entries())
      expect(ms).toBeGreaterThanOrEqual(reads[batch]! > 0 ? 29 : 0);
    for (const [batch, [, , ms]] of bulkTimes.entries())
      expect(ms).toBeGreaterThanOrEqual(59 * bulks[batch]!);
    expect(bulks.some((count) => count > 0)).toBe(true);
  });

  it('refuses a late projection of an older state through the version alone', async () => {
    // Prepare
    const { userId, orderId, order } = await placeOrder();
    await store.orders.updateStatus({ userId, orderId, expectedRev: order.rev, to: 'paid' });
    const paid = await eventually(async () => {
      const doc = await orderDoc(orderId);
      return doc?.source.status === 'paid' ? doc : undefined;
    });
    const staleVersion = paid.version - 1;
    // Act: what a lane that read the table before the update would write.
    const outcome = await sendBulk(search.client, [
      {
        index: search.names.orders.write,
        id: orderId,
        version: staleVersion,
        source: { ...paid.source, status: 'pending' },
      },
    ]);
    // Assess
    expect(outcome).toMatchObject({ conflicts: 1 });
    expect(outcome.failures.size).toBe(0);
    expect((await orderDoc(orderId))?.source.status).toBe('paid');
  });

  it('keeps a deleted order deleted when older writes arrive after gc_deletes has passed', async () => {
    // Prepare
    const { userId, orderId } = await placeOrder();
    const live = await eventually(() => orderDoc(orderId));
    await store.orders.delete({ userId, orderId });
    const marker = await eventually(async () => {
      const doc = await orderDoc(orderId);
      return doc?.source.deleted === true ? doc : undefined;
    });
    await runner!.waitForIdle();
    await search.expireDeleteTombstones();
    // Act: replay every batch of the order, and a projection of its live state made before the delete.
    const consumer = createSearchSyncConsumer(options);
    for (const event of eventsTouching(`USER#${userId}`)) await consumer(event);
    for (const event of eventsTouching(`ORDER#${orderId}`)) await consumer(event);
    const late = await sendBulk(search.client, [
      { index: search.names.orders.write, id: orderId, version: live.version, source: live.source },
    ]);
    await search.client.indices.refresh({ index: search.names.orders.read });
    const found = await searchOrders(search.client, { userId }, search);
    // Assess
    expect(late.conflicts).toBe(1);
    expect(await orderDoc(orderId)).toEqual(marker);
    expect(marker.source).toEqual({
      orderId,
      userId,
      deleted: true,
      deletedAt: expect.any(String),
      version: marker.version,
    });
    expect(marker.version).toBeGreaterThan(live.version);
    expect(found.total).toBe(0);
  });

  it('keeps indexing an order whose customer renamed after ordering and was deleted in an earlier batch, without their name', async () => {
    // Prepare: the rename lifts the profile's rev above the order's, so only the deleted
    // user's marker, read back from the users index, says how high the user component is.
    const { userId, user, orderId, order } = await placeOrder('Ada Byron');
    const renamed = await store.users.update({ userId, expectedRev: user.rev, name: 'Ada King' });
    await runner!.waitForIdle();
    await store.users.delete(userId, renamed.rev);
    await runner!.waitForIdle();
    const nameless = await eventually(async () => {
      const doc = await orderDoc(orderId);
      return doc && doc.source.customerName === undefined ? doc : undefined;
    });
    // Act
    await store.orders.updateStatus({ userId, orderId, expectedRev: order.rev, to: 'paid' });
    await runner!.waitForIdle();
    // Assess
    const paid = await orderDoc(orderId);
    expect(paid?.source).toMatchObject({ status: 'paid', revs: { user: renamed.rev + 1 } });
    expect(paid?.source).not.toHaveProperty('customerName');
    expect(paid?.source).not.toHaveProperty('customerEmail');
    expect(paid!.version).toBeGreaterThan(nameless.version);
  });

  it("updates every order of a renamed user, and the user's own document", async () => {
    // Prepare
    const { userId, user, orderId } = await placeOrder('Ada Byron');
    const { order: second } = await store.orders.create({
      userId,
      orderId: unique('o'),
      items: [
        {
          productId: 'p-loom',
          name: 'Jacquard Loom',
          quantity: 1,
          unitPrice: { amount: 5_00, currency: 'EUR' },
        },
      ],
    });
    await eventually(() => orderDoc(second.orderId));
    // Act
    await store.users.update({
      userId,
      expectedRev: user.rev,
      name: 'Ada Lovelace',
      email: `${userId}@lovelace.example`,
    });
    // Assess
    const renamed = await eventually(async () => {
      await search.client.indices.refresh({ index: search.names.orders.read });
      const page = await searchOrders(search.client, { text: 'lovelace', userId }, search);
      return page.total === 2 ? page : undefined;
    });
    expect(renamed.hits.map((hit) => hit.orderId).sort()).toEqual([orderId, second.orderId].sort());
    expect(renamed.hits.every((hit) => hit.customerEmail === `${userId}@lovelace.example`)).toBe(
      true,
    );
    const byOldName = await searchOrders(search.client, { text: 'byron', userId }, search);
    expect(byOldName.total).toBe(0);
    const userDoc = await getDocument(search.client, search.names.users.read, userId);
    expect(userDoc?.source).toMatchObject({ name: 'Ada Lovelace' });
  });

  it('reports the lowest sequence number whose document still failed, after retrying 429s', async () => {
    // Prepare: three new users; b's document is answered 500 every time, c's 429 once.
    const ids = ['a', 'b', 'c'].map((letter) => unique(`f${letter}`));
    const records = ids.map((userId) =>
      insertRecord(userItem({ userId, email: `${userId}@example.com`, rev: 5 })),
    );
    let throttled = false;
    const faultFor = (id: string): number | undefined => {
      if (id === ids[1]) return 500;
      if (id !== ids[2] || throttled) return undefined;
      throttled = true;
      return 429;
    };
    const faulty: BulkClient = {
      bulk: (async (params: { body: string }, requestOptions: unknown) => {
        const lines = params.body.split('\n').filter(Boolean);
        const pairs = [];
        for (let k = 0; k < lines.length; k += 2) pairs.push([lines[k]!, lines[k + 1]!] as const);
        const faults = pairs.map(([action]) => faultFor(JSON.parse(action).index._id));
        const forwarded = pairs.filter((_, k) => faults[k] === undefined);
        const real = forwarded.length
          ? (
              (
                await search.client.bulk(
                  { body: `${forwarded.flat().join('\n')}\n` } as never,
                  requestOptions as never,
                )
              ).body as { items: unknown[] }
            ).items
          : [];
        const items = faults.map((status) =>
          status === undefined
            ? real.shift()
            : { index: { status, error: { type: 'injected', reason: `${status}` } } },
        );
        return { body: { errors: true, items } };
      }) as never,
    };
    // A clock that the backoff moves, so the retry budget runs out without real waiting.
    let clock = Date.now();
    const consumer = createSearchSyncConsumer({
      ...options,
      client: faulty,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    // Act
    const reply = await consumer(streamEvent(...records));
    // Assess
    expect(reply.batchItemFailures).toEqual([
      { itemIdentifier: records[1]!.dynamodb!.SequenceNumber },
    ]);
    const [a, b, c] = await Promise.all(
      ids.map((id) => getDocument(search.client, search.names.users.read, id)),
    );
    expect(a?.version).toBe(5);
    expect(b).toBeUndefined();
    expect(c?.version).toBe(5);
  });
});
