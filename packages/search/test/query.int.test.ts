import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DocumentWrite, orderMarker } from '../src/documents.js';
import {
  createQuerySearchClient,
  InvalidSearchQueryError,
  projectOrder,
  purgeDeletedMarkers,
  searchOrders,
  sendBulk,
} from '../src/index.js';
import { getDocument, type SearchFixture, startSearchFixture } from './support.js';

let search: SearchFixture;

const DAY = 24 * 3600 * 1000;
const at = (day: number) => new Date(Date.UTC(2024, 4, 1) + day * DAY + 3600_000).toISOString();

const order = (n: number, status: string, amount: number, name: string): DocumentWrite =>
  projectOrder({
    header: {
      orderId: `o${n}`,
      userId: `u${n % 3}`,
      status,
      createdAt: at(n % 4),
      updatedAt: at(n % 4),
      total: { amount, currency: 'EUR' },
      rev: 10 + n,
    },
    lines: [{ productId: `p${n}`, name: n % 2 ? 'Blue Teapot' : 'Red Kettle', rev: 10 + n }],
    user: {
      userId: `u${n % 3}`,
      name,
      email: `${name.split(' ')[0]!.toLowerCase()}@example.com`,
      rev: 5,
    },
  });

beforeAll(async () => {
  search = await startSearchFixture();
  const writes = [
    order(1, 'pending', 1_000, 'Ada Lovelace'),
    order(2, 'paid', 2_500, 'Grace Hopper'),
    order(3, 'paid', 700, 'Ada Lovelace'),
    order(4, 'shipped', 9_900, 'Alan Turing'),
    order(5, 'paid', 4_200, 'Grace Hopper'),
    orderMarker(
      { orderId: 'o6', userId: 'u0', rev: 99, createdAt: at(-31), deletedAt: at(-30) },
      undefined,
      undefined,
    ),
    orderMarker(
      {
        orderId: 'o7',
        userId: 'u0',
        rev: 99,
        createdAt: at(-31),
        deletedAt: new Date().toISOString(),
      },
      undefined,
      undefined,
    ),
  ];
  await sendBulk(
    search.client,
    writes.map((write) => ({
      index: search.names.orders.write,
      id: write.id,
      version: write.version,
      source: write.source,
    })),
  );
  await search.client.indices.refresh({ index: search.names.orders.read });
});

afterAll(async () => {
  await search.stop();
});

describe('searchOrders against OpenSearch', () => {
  it('finds orders by customer name, leaving deleted markers out, with facets and a daily histogram', async () => {
    // Act
    const page = await searchOrders(search.client, { text: 'ada' }, search);
    const all = await searchOrders(search.client, {}, search);
    // Assess
    expect(page.hits.map((hit) => hit.orderId).sort()).toEqual(['o1', 'o3']);
    expect(page.statuses).toEqual({ pending: 1, paid: 1 });
    expect(all.total).toBe(5);
    expect(all.daily.reduce((sum, day) => sum + day.count, 0)).toBe(5);
    expect(all.daily[0]).toEqual({ date: '2024-05-01', count: 1 });
  });

  it('filters by status, total range and date range, sorted by total', async () => {
    // Act
    const page = await searchOrders(
      search.client,
      {
        status: ['paid', 'shipped'],
        minTotal: 1_000,
        createdFrom: at(1),
        createdTo: at(3),
        sort: 'total',
      },
      search,
    );
    // Assess
    expect(page.hits.map((hit) => [hit.orderId, hit.total.amount])).toEqual([
      ['o5', 4_200],
      ['o2', 2_500],
    ]);
  });

  it('pages with the opaque cursor without skipping or repeating', async () => {
    // Act
    const first = await searchOrders(search.client, { size: 2, sort: 'oldest' }, search);
    const second = await searchOrders(
      search.client,
      { size: 2, sort: 'oldest', cursor: first.cursor },
      search,
    );
    const third = await searchOrders(
      search.client,
      { size: 2, sort: 'oldest', cursor: second.cursor },
      search,
    );
    // Assess
    const ids = [...first.hits, ...second.hits, ...third.hits].map((hit) => hit.orderId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(third.cursor).toBeUndefined();
  });

  it('refuses a cursor from another sort with a typed error', async () => {
    // Prepare
    const first = await searchOrders(search.client, { size: 2, sort: 'oldest' }, search);
    // Act
    const attempt = searchOrders(
      search.client,
      { size: 2, sort: 'total', cursor: first.cursor },
      search,
    );
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidSearchQueryError);
    await expect(attempt).rejects.toMatchObject({ code: 'search.invalidQuery' });
  });

  it('finds orders with a search-box query in OpenSearch syntax: phrases, OR, NOT and fields', async () => {
    // Act
    const phrase = await searchOrders(search.client, { query: '"blue teapot" AND ada' }, search);
    const either = await searchOrders(search.client, { query: 'turing OR hopper' }, search);
    const without = await searchOrders(search.client, { query: 'grace -itemNames:kettle' }, search);
    const field = await searchOrders(search.client, { query: 'orderId:o4' }, search);
    // Assess
    expect(phrase.hits.map((hit) => hit.orderId).sort()).toEqual(['o1', 'o3']);
    expect(either.hits.map((hit) => hit.orderId).sort()).toEqual(['o2', 'o4', 'o5']);
    expect(without.hits.map((hit) => hit.orderId).sort()).toEqual(['o5']);
    expect(field.hits.map((hit) => hit.orderId)).toEqual(['o4']);
    expect(phrase.hits[0]?.score).toEqual(expect.any(Number));
  });

  it('answers a search-box query with bad syntax with a typed error naming query, not with nothing found', async () => {
    // Act
    const attempt = searchOrders(search.client, { query: 'ada AND (' }, search);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidSearchQueryError);
    await expect(attempt).rejects.toMatchObject({
      code: 'search.invalidQuery',
      issues: [{ path: 'query', message: expect.stringContaining('is not valid query syntax') }],
    });
  });

  it("answers the same through the API function's lean query client, refusals included", async () => {
    // Prepare
    const lean = createQuerySearchClient({ node: inject('opensearchUrl') });
    const input = { text: 'ada', sort: 'total' } as const;
    // Act
    const viaLean = await searchOrders(lean, input, search);
    const viaClient = await searchOrders(search.client, input, search);
    const refused = searchOrders(lean, { query: 'ada AND (' }, search);
    // Assess
    expect(viaLean.hits.map((hit) => hit.orderId)).toEqual(['o1', 'o3']);
    expect(viaLean).toEqual(viaClient);
    await expect(refused).rejects.toBeInstanceOf(InvalidSearchQueryError);
  });

  it('purges only the markers older than the horizon', async () => {
    // Act
    const { deleted } = await purgeDeletedMarkers(search.client, { prefix: search.prefix });
    // Assess
    expect(deleted).toBe(1);
    expect(await getDocument(search.client, search.names.orders.read, 'o6')).toBeUndefined();
    expect((await getDocument(search.client, search.names.orders.read, 'o7'))?.source.deleted).toBe(
      true,
    );
    expect(await getDocument(search.client, search.names.orders.read, 'o1')).toBeDefined();
  });
});
