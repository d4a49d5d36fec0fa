import { keys } from '@pipeline/model';
import type { TestTable } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlreadyExistsError, NotFoundError, StaleRevisionError } from '../src/errors.js';
import type { Store } from '../src/store.js';
import { id, manualClock, rawItem, tableWithStore } from './support.js';

let table: TestTable;
let store: Store;
const { now, tick } = manualClock();

beforeAll(async () => {
  ({ table, store } = await tableWithStore({ now, productViewTtlSeconds: 3600 }));
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
    const created = await store.products.put(pen(id('p'), category));

    const byId = await store.products.get(created.productId);
    const inCategory = await store.products.listByCategory({ category });

    expect(byId).toEqual(created);
    expect(inCategory.items).toEqual([created]);
    await expect(store.products.put(pen(created.productId, category))).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
  });

  it('replaces a product at the revision read, keeping createdAt and moving it to its new category', async () => {
    const [before, after] = [id('cat'), id('cat')];
    const created = await store.products.put(pen(id('p'), before));

    tick(1000);
    const replaced = await store.products.put({
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
    expect((await store.products.listByCategory({ category: before })).items).toEqual([]);
    expect((await store.products.listByCategory({ category: after })).items).toEqual([replaced]);
    await expect(
      store.products.put({ ...pen(created.productId, after), expectedRev: created.rev }),
    ).rejects.toBeInstanceOf(StaleRevisionError);
    await expect(
      store.products.put({ ...pen(id('p'), after), expectedRev: created.rev }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('pages through a category by product id', async () => {
    const category = id('cat');
    for (const productId of ['c', 'a', 'b'])
      await store.products.put(pen(`${category}-${productId}`, category));

    const first = await store.products.listByCategory({ category, limit: 2 });
    const second = await store.products.listByCategory({
      category,
      limit: 2,
      cursor: first.cursor,
    });

    expect([...first.items, ...second.items].map((product) => product.productId)).toEqual(
      ['a', 'b', 'c'].map((suffix) => `${category}-${suffix}`),
    );
    expect(second.cursor).toBeUndefined();
  });
});

describe('sessions', () => {
  it('returns a live session and treats one past its ttl as absent while the item still exists', async () => {
    const sessionId = id('s');
    const session = await store.sessions.create({ sessionId, userId: 'u1', ttlSeconds: 60 });
    const live = await store.sessions.get(sessionId);

    tick(61_000);
    const expired = await store.sessions.get(sessionId);

    expect(live).toEqual(session);
    expect(expired).toBeUndefined();
    expect(await rawItem(table, keys.session(sessionId))).toBeDefined();
  });

  it('revokes a session once', async () => {
    const sessionId = id('s');
    await store.sessions.create({ sessionId, userId: 'u1', ttlSeconds: 600 });

    const first = await store.sessions.revoke(sessionId);
    const second = await store.sessions.revoke(sessionId);

    expect([first, second]).toEqual([true, false]);
    expect(await store.sessions.get(sessionId)).toBeUndefined();
  });

  it('refuses to create a session that exists', async () => {
    const sessionId = id('s');
    await store.sessions.create({ sessionId, userId: 'u1', ttlSeconds: 600 });

    await expect(
      store.sessions.create({ sessionId, userId: 'u2', ttlSeconds: 600 }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
  });
});

describe('product views', () => {
  it('records views with a short ttl and lists the recent ones newest first', async () => {
    const productId = id('p');
    const old = await store.productViews.record({ productId, userId: 'u1' });
    tick(2 * 3600 * 1000);
    const first = await store.productViews.record({ productId });
    tick(10);
    const second = await store.productViews.record({ productId, viewId: 'v-explicit' });

    const recent = await store.productViews.listRecent({ productId });
    const all = await store.productViews.listRecent({ productId, since: old.at });

    expect(second.ttl - Math.floor(now().getTime() / 1000)).toBe(3600);
    expect(recent.items.map((view) => view.viewId)).toEqual(['v-explicit', first.viewId]);
    expect(all.items.map((view) => view.viewId)).toEqual(['v-explicit', first.viewId, old.viewId]);
    expect(await store.products.get(productId)).toBeUndefined();
  });
});
