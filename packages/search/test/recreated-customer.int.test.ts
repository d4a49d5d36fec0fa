import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import { keys } from '@pipeline/model';
import type { Store } from '@pipeline/store';
import {
  insertRecord,
  modifyRecord,
  type PlainItem,
  removeRecord,
  streamEvent,
  type TestTable,
} from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchSyncConsumer, type SearchSyncOptions } from '../src/index.js';
import {
  createCustomerWithOrder,
  getDocument,
  type SearchFixture,
  startSyncFixture,
} from './support.js';

let table: TestTable;
let search: SearchFixture;
let store: Store;
let options: SearchSyncOptions;

beforeAll(async () => {
  ({ table, search, store, options } = await startSyncFixture());
});

afterAll(async () => {
  await search.stop();
});

/** Every item of a partition as the table holds it now. */
const partition = async (pk: string): Promise<PlainItem[]> => {
  const response = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: marshall({ ':pk': pk }),
      ConsistentRead: true,
    }),
  );
  return (response.Items ?? []).map((item) => unmarshall(item));
};

const profileOf = async (userId: string): Promise<PlainItem> => {
  const found = (await partition(keys.user(userId).PK)).find((item) => item.SK === 'PROFILE');
  if (!found) throw new Error(`no profile for ${userId}`);
  return found;
};

/**
 * A realtime-GET reader that runs `meanwhile` once, before its first GET: what another lane
 * does between this projection's table reads and its reads of the index.
 */
const pausingReader = (client: Client, meanwhile: () => Promise<void>) => {
  let ran = false;
  return {
    get ran() {
      return ran;
    },
    reader: {
      get: (async (params: Parameters<Client['get']>[0]) => {
        if (!ran) {
          ran = true;
          await meanwhile();
        }
        return client.get(params);
      }) as Client['get'],
    },
  };
};

describe('an order whose customer is deleted and created again', () => {
  it('keeps the re-created profile when a lane that read the profile as gone writes after the re-creation', async () => {
    // Prepare: Ada orders, everything is indexed, then her profile is deleted and synced.
    const userId = `u${Date.now().toString(36)}`;
    const orderId = `o${Date.now().toString(36)}`;
    const { user: ada } = await createCustomerWithOrder(store, {
      userId,
      orderId,
      items: [
        {
          productId: 'p-difference',
          name: 'Difference Engine',
          quantity: 2,
          unitPrice: { amount: 150_00, currency: 'GBP' },
        },
      ],
    });
    const oldProfile = await profileOf(userId);
    const orderItems = [
      ...(await partition(keys.user(userId).PK)).filter((item) => item.SK !== 'PROFILE'),
      ...(await partition(keys.orderRef(orderId).PK)).filter((item) => item.SK !== 'REF'),
    ];
    const header = orderItems.find((item) => item.entityType === 'Order')!;
    const consumer = createSearchSyncConsumer(options);
    await consumer(streamEvent(...[oldProfile, ...orderItems].map((item) => insertRecord(item))));
    await store.users.delete(userId, ada.rev);
    await consumer(streamEvent(removeRecord(oldProfile)));
    // A late order record (a redelivery) reaches a lane that reads the table now, while the
    // profile is gone, and the index only after another lane has synced the re-created user.
    let grace: PlainItem | undefined;
    const pausing = pausingReader(search.client, async () => {
      await store.users.create({ userId, email: `${userId}@hopper.example`, name: 'Grace' });
      grace = await profileOf(userId);
      await createSearchSyncConsumer(options)(streamEvent(insertRecord(grace)));
    });
    const lateLane = createSearchSyncConsumer({ ...options, reader: pausing.reader });
    // Act
    const reply = await lateLane(streamEvent(modifyRecord(header, header)));
    // Assess
    expect(pausing.ran).toBe(true);
    expect(reply.batchItemFailures).toEqual([]);
    const order = await getDocument(search.client, search.names.orders.read, orderId);
    expect(order?.source).toMatchObject({
      customerName: 'Grace',
      customerEmail: `${userId}@hopper.example`,
      revs: { user: grace!.rev },
    });
    const user = await getDocument(search.client, search.names.users.read, userId);
    expect(user?.source).toMatchObject({ name: 'Grace', version: grace!.rev });
  });
});
