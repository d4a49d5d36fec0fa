import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TestTable } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import type { Store } from '../src/store.js';
import { tableWithStore } from './support.js';

let table: TestTable;
let store: Store;

/** Every item of this file's table, so a refused write can be shown to have left nothing. */
const allItems = async () =>
  (
    (await table.client.send(new ScanCommand({ TableName: table.tableName, ConsistentRead: true })))
      .Items ?? []
  ).map((item) => unmarshall(item));

const line = (name: string) => ({
  productId: 'p1',
  name,
  quantity: 1,
  unitPrice: { amount: 100, currency: 'EUR' },
});

beforeAll(async () => {
  ({ table, store } = await tableWithStore());
});

describe('the text policy and strict inputs through the store', () => {
  it('refuses control, bidi and lone-surrogate characters and unknown fields, writing nothing', async () => {
    const refusals = await Promise.allSettled([
      store.users.create({ userId: 'u-nul', email: 'nul@example.com', name: 'Ada\u0000' }),
      store.users.create({ userId: 'u-bel', email: 'bel@example.com', name: 'Ada\u0007' }),
      store.users.create({ userId: 'u-rlo', email: 'rlo@example.com', name: 'Ada\u202Egpj.exe' }),
      store.users.create({ userId: 'u-sur', email: 'sur@example.com', name: 'Ada\uD800' }),
      store.users.create({
        userId: 'u-admin',
        email: 'admin@example.com',
        name: 'Ada',
        isAdmin: true,
      } as Parameters<Store['users']['create']>[0]),
      store.products.put({
        productId: 'p-nl',
        name: 'Beans\n',
        category: 'coffee',
        price: { amount: 100, currency: 'EUR' },
      }),
    ]);

    expect(refusals.map((outcome) => outcome.status)).toEqual(Array(6).fill('rejected'));
    for (const outcome of refusals) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    }
    expect(await allItems()).toEqual([]);
  });

  it('refuses an order whose line name holds a control character, writing neither the order nor its lines', async () => {
    await store.users.create({ userId: 'u-buyer', email: 'buyer@example.com', name: 'Buyer' });
    const before = await allItems();

    const refused = store.orders.create({
      userId: 'u-buyer',
      orderId: 'o-bidi',
      items: [line('Mug'), { ...line('Cup\u2066'), productId: 'p2' }],
    });

    await expect(refused).rejects.toMatchObject({
      code: 'store.validation',
      issues: [{ path: 'items.1.name', message: expect.stringContaining('U+2066 at position 4') }],
    });
    expect(await store.orders.getById('o-bidi')).toBeUndefined();
    expect(await allItems()).toEqual(before);
  });

  it('refuses a rename to a name with a control character and keeps the user as it was', async () => {
    const user = await store.users.create({
      userId: 'u-rename',
      email: 'rename@example.com',
      name: 'Ada',
    });

    const refused = store.users.update({
      userId: 'u-rename',
      expectedRev: user.rev,
      name: 'Ada\u009B',
    });

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    expect(await store.users.get('u-rename')).toEqual(user);
  });

  it('stores, and finds, a decomposed name in NFC', async () => {
    const created = await store.users.create({
      userId: 'u-nfc',
      email: 'nfc@example.com',
      name: ' Jose\u0301 ',
    });

    const stored = (await allItems()).find(
      (item) => item.userId === 'u-nfc' && item.SK === 'PROFILE',
    );

    expect(created.name).toBe('José');
    expect(stored?.name).toBe('José');
    expect(stored?.name).toBe('Jos\u00E9');
  });
});
