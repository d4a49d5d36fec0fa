import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { keys } from '@pipeline/model';
import { createMainTable, type TestTable } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, NotFoundError, StaleRevisionError } from '../src/errors.js';
import { toAttributes } from '../src/items.js';
import { createStore, type Store } from '../src/store.js';

let table: TestTable;
let store: Store;
let seq = 0;
const id = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${seq++}`;

let clockMs = Date.now();
const tick = (ms = 1) => {
  clockMs += ms;
};

beforeAll(async () => {
  table = await createMainTable();
  store = createStore({
    tableName: table.tableName,
    client: table.client,
    now: () => new Date(clockMs),
    productViewTtlSeconds: 3600,
  });
});

const pen = (productId: string, category: string) => ({
  productId,
  name: 'Pen',
  category,
  price: { amount: 150, currency: 'EUR' },
});

describe('products', () => {
  it('creates a product, finds it by id and in its category, and refuses a duplicate', async () => {
    const category = id('cat');
    const created = await store.putProduct(pen(id('p'), category));

    const byId = await store.getProduct(created.productId);
    const inCategory = await store.listProductsByCategory({ category });

    expect(byId).toEqual(created);
    expect(inCategory.items).toEqual([created]);
    await expect(store.putProduct(pen(created.productId, category))).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
  });

  it('replaces a product at the revision read, keeping createdAt and moving it to its new category', async () => {
    const [before, after] = [id('cat'), id('cat')];
    const created = await store.putProduct(pen(id('p'), before));

    tick(1000);
    const replaced = await store.putProduct({
      ...pen(created.productId, after),
      name: 'Fountain pen',
      expectedRev: created.rev,
    });

    expect(replaced).toMatchObject({
      name: 'Fountain pen',
      category: after,
      createdAt: created.createdAt,
    });
    expect(replaced.rev).toBeGreaterThan(created.rev);
    expect((await store.listProductsByCategory({ category: before })).items).toEqual([]);
    expect((await store.listProductsByCategory({ category: after })).items).toEqual([replaced]);
    await expect(
      store.putProduct({ ...pen(created.productId, after), expectedRev: created.rev }),
    ).rejects.toBeInstanceOf(StaleRevisionError);
    await expect(
      store.putProduct({ ...pen(id('p'), after), expectedRev: created.rev }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('pages through a category by product id', async () => {
    const category = id('cat');
    for (const productId of ['c', 'a', 'b'])
      await store.putProduct(pen(`${category}-${productId}`, category));

    const first = await store.listProductsByCategory({ category, limit: 2 });
    const second = await store.listProductsByCategory({ category, limit: 2, cursor: first.cursor });

    expect([...first.items, ...second.items].map((product) => product.productId)).toEqual(
      ['a', 'b', 'c'].map((suffix) => `${category}-${suffix}`),
    );
    expect(second.cursor).toBeUndefined();
  });
});

describe('sessions', () => {
  it('returns a live session and treats one past its ttl as absent while the item still exists', async () => {
    const sessionId = id('s');
    const session = await store.createSession({ sessionId, userId: 'u1', ttlSeconds: 60 });
    const live = await store.getSession(sessionId);

    tick(61_000);
    const expired = await store.getSession(sessionId);

    expect(live).toEqual(session);
    expect(expired).toBeUndefined();
    const raw = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: toAttributes(keys.session(sessionId)),
      }),
    );
    expect(raw.Item).toBeDefined();
  });

  it('revokes a session once', async () => {
    const sessionId = id('s');
    await store.createSession({ sessionId, userId: 'u1', ttlSeconds: 600 });

    const first = await store.revokeSession(sessionId);
    const second = await store.revokeSession(sessionId);

    expect([first, second]).toEqual([true, false]);
    expect(await store.getSession(sessionId)).toBeUndefined();
  });

  it('refuses to create a session that exists', async () => {
    const sessionId = id('s');
    await store.createSession({ sessionId, userId: 'u1', ttlSeconds: 600 });

    await expect(
      store.createSession({ sessionId, userId: 'u2', ttlSeconds: 600 }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
  });
});

describe('product views', () => {
  it('records views with a short ttl and lists the recent ones newest first', async () => {
    const productId = id('p');
    const old = await store.recordProductView({ productId, userId: 'u1' });
    tick(2 * 3600 * 1000);
    const first = await store.recordProductView({ productId });
    tick(10);
    const second = await store.recordProductView({ productId, viewId: 'v-explicit' });

    const recent = await store.listRecentProductViews({ productId });
    const all = await store.listRecentProductViews({ productId, since: old.at });

    expect(second.ttl - Math.floor(clockMs / 1000)).toBe(3600);
    expect(recent.items.map((view) => view.viewId)).toEqual(['v-explicit', first.viewId]);
    expect(all.items.map((view) => view.viewId)).toEqual(['v-explicit', first.viewId, old.viewId]);
    expect(await store.getProduct(productId)).toBeUndefined();
  });
});
