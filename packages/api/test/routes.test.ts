import { ConnectionError } from '@opensearch-project/opensearch/lib/errors.js';
import { createAggregatesReader } from '@pipeline/aggregates';
import type { ConsumerStats } from '@pipeline/local';
import { describe, expect, it } from 'vitest';
import { aggregatesReader, request, searchClient, storeWithClient, testApi } from './support.js';

const validUser = { userId: 'u1', email: 'ada@example.com', name: 'Ada Lovelace' };
const validOrder = {
  userId: 'u1',
  orderId: 'o1',
  items: [
    { productId: 'p1', name: 'Beans', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } },
  ],
};

describe('request validation', () => {
  it('refuses a user without an email with 400 naming the field, and sends nothing', async () => {
    const { sent, store } = storeWithClient();
    const { api } = testApi({ store });

    const response = await api.handle(
      request('POST', '/users', { body: { ...validUser, email: undefined } }),
    );

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: 'store.validation', issues: [{ path: 'email' }] },
    });
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['no body', undefined, ''],
    ['an array', [validOrder], ''],
    [
      'a float price',
      {
        ...validOrder,
        items: [{ ...validOrder.items[0], unitPrice: { amount: 12.5, currency: 'EUR' } }],
      },
      'items.0.unitPrice.amount',
    ],
    ['no items', { ...validOrder, items: [] }, 'items'],
    ['an id with the key separator', { ...validOrder, orderId: 'o#1' }, 'orderId'],
  ])('refuses an order with %s with 400 and sends nothing', async (_name, body, path) => {
    const { sent, store } = storeWithClient();
    const { api } = testApi({ store });

    const response = await api.handle(request('POST', '/orders', { body }));

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: { code: 'store.validation', issues: [{ path }] },
    });
    expect(sent).toHaveLength(0);
  });

  it('refuses a status change to an unknown status, or with extra fields, before reading the order', async () => {
    const { sent, store } = storeWithClient();
    const { api } = testApi({ store });

    const unknown = await api.handle(
      request('PATCH', '/orders/o1/status', { body: { to: 'lost' } }),
    );
    const badRev = await api.handle(
      request('PATCH', '/orders/o1/status', { body: { to: 'paid', expectedRev: -1 } }),
    );
    const badId = await api.handle(
      request('PATCH', '/orders/o%231/status', { body: { to: 'paid' } }),
    );

    expect(unknown).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'to' }] } } });
    expect(badRev).toMatchObject({
      status: 400,
      body: { error: { issues: [{ path: 'expectedRev' }] } },
    });
    expect(badId).toMatchObject({
      status: 400,
      body: { error: { issues: [{ path: 'orderId' }] } },
    });
    expect(sent).toHaveLength(0);
  });

  it('records a product view from an empty body, picking its view id', async () => {
    const { sent, store } = storeWithClient(() => ({}));
    const { api } = testApi({ store });

    const response = await api.handle(request('POST', '/products/p-7/views'));

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ productId: 'p-7', entityType: 'ProductView' });
    expect(sent).toHaveLength(1);
  });

  it('refuses a top-products limit out of range with 400', async () => {
    const { api } = testApi();

    const response = await api.handle(
      request('GET', '/aggregates/products/top', { query: 'limit=1000' }),
    );

    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'api.invalidParameter' } },
    });
  });

  it('answers an invalid daily range with the reader’s 400', async () => {
    const aggregates = createAggregatesReader({
      tableName: 't',
      client: storeWithClient().store.client,
    });
    const { api } = testApi({ aggregates });

    const response = await api.handle(
      request('GET', '/aggregates/daily', { query: 'from=2026-03-10&to=2026-03-01' }),
    );

    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'aggregates.invalidQuery' } },
    });
  });
});

describe('reads', () => {
  it('reads the last 14 UTC days by default and today’s top products', async () => {
    const { calls, reader } = aggregatesReader();
    const { api } = testApi({ aggregates: reader });

    const daily = await api.handle(request('GET', '/aggregates/daily'));
    const top = await api.handle(request('GET', '/aggregates/products/top'));

    expect(daily).toMatchObject({ status: 200, body: { from: '2026-03-02', to: '2026-03-15' } });
    expect(top).toMatchObject({
      status: 200,
      body: { day: '2026-03-15', products: [{ productId: 'p1' }] },
    });
    expect(calls.map((call) => call.args[0])).toEqual([
      { from: '2026-03-02', to: '2026-03-15' },
      { day: '2026-03-15', limit: 10 },
    ]);
  });

  it('passes search filters through to the query library', async () => {
    const search = searchClient(() => ({ hits: { total: { value: 0 }, hits: [] } }));
    const { api } = testApi({ search: search.client });

    const response = await api.handle(
      request('GET', '/search/orders', { query: 'q=ada&status=paid,shipped&minTotal=100&size=5' }),
    );

    expect(response).toMatchObject({ status: 200, body: { hits: [], total: 0 } });
    const body = JSON.stringify(search.requests[0]?.body);
    expect(body).toContain('"terms":{"status":["paid","shipped"]}');
    expect(body).toContain('"gte":100');
    expect(search.requests[0]?.body.size).toBe(5);
  });

  it('refuses an unknown search parameter or a bad sort with 400, sending no search', async () => {
    const search = searchClient(() => ({}));
    const { api } = testApi({ search: search.client });

    const unknown = await api.handle(request('GET', '/search/orders', { query: 'colour=red' }));
    const sort = await api.handle(request('GET', '/search/users', { query: 'size=none' }));

    expect(unknown).toMatchObject({
      status: 400,
      body: { error: { code: 'search.invalidQuery' } },
    });
    expect(sort).toMatchObject({ status: 400, body: { error: { code: 'search.invalidQuery' } } });
    expect(search.requests).toHaveLength(0);
  });

  it('answers 501 for pipeline statistics where no runner runs, and throughput where one does', async () => {
    let processed = 0;
    let nowMs = Date.parse('2026-03-15T10:00:00.000Z');
    const stats = (): ConsumerStats[] => [
      {
        name: 'sync-search',
        shards: 1,
        recordsIn: processed,
        filteredOut: 0,
        processed,
        invocations: 1,
        failures: 0,
        retries: 0,
        bisections: 0,
        dlqMessages: 0,
        dlqRecords: 0,
        dlqDepth: 0,
        lagMs: 120,
      },
    ];
    const withoutRunner = testApi().api;
    const { api } = testApi({ pipelineStats: stats, now: () => new Date(nowMs) });

    const missing = await withoutRunner.handle(request('GET', '/pipeline'));
    await api.handle(request('GET', '/pipeline'));
    processed = 300;
    nowMs += 2_000;
    const status = await api.handle(request('GET', '/pipeline'));

    expect(missing).toMatchObject({ status: 501, body: { error: { code: 'api.notAvailable' } } });
    expect(status).toMatchObject({
      status: 200,
      body: {
        consumers: [{ name: 'sync-search', lagMs: 120, processed: 300, throughputPerSecond: 150 }],
      },
    });
  });
});

describe('routing and failures', () => {
  it('answers an unknown path with 404 and a known path with the wrong method with 405 and Allow', async () => {
    const { api } = testApi();

    const missing = await api.handle(request('GET', '/orders/o1/items'));
    const wrongMethod = await api.handle(request('DELETE', '/users'));

    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'api.routeNotFound' } } });
    expect(wrongMethod).toMatchObject({
      status: 405,
      body: { error: { code: 'api.methodNotAllowed' } },
      headers: { allow: 'POST' },
    });
  });

  it('answers an engine failure with 500, no stack and no message, and logs frames without personal data', async () => {
    const failure = new Error('Unexpected reply for ada@example.com');
    const { store } = storeWithClient(() => {
      throw failure;
    });
    const { api, logged } = testApi({ store });

    const response = await api.handle(request('POST', '/users', { body: validUser }));

    expect(response).toEqual({
      status: 500,
      body: {
        error: {
          code: 'internal',
          message: 'the server failed to answer this request',
          requestId: 'request-1',
        },
      },
    });
    expect(JSON.stringify(response.body)).not.toMatch(/ada@|at .*\.ts/);
    expect(logged).toHaveLength(1);
    expect(logged[0]?.details).toMatchObject({
      requestId: 'request-1',
      route: 'POST /users',
      errorName: 'Error',
    });
    expect(logged[0]?.details.stack).toEqual(
      expect.arrayContaining([expect.stringMatching(/^at /)]),
    );
    expect(JSON.stringify(logged)).not.toContain('ada@example.com');
  });

  it('answers an unreachable search engine with 503 and keeps its reason out of the response', async () => {
    const search = searchClient(() => {
      throw new ConnectionError('connect ECONNREFUSED 10.0.0.7:9200');
    });
    const { api, logged } = testApi({ search: search.client });

    const response = await api.handle(request('GET', '/search/users', { query: 'q=ada' }));

    expect(response).toMatchObject({
      status: 503,
      body: { error: { code: 'search.requestFailed' } },
    });
    expect(JSON.stringify(response.body)).not.toContain('10.0.0.7');
    expect(logged).toHaveLength(1);
  });

  it('reads a user’s totals and refuses a malformed user id', async () => {
    const { api } = testApi();

    const totals = await api.handle(request('GET', '/aggregates/users/u1'));
    const bad = await api.handle(request('GET', '/aggregates/users/%E0%A4%A'));

    expect(totals).toMatchObject({
      status: 200,
      body: { userId: 'u1', orders: 1, spend: { EUR: 1250 } },
    });
    expect(bad).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'userId' }] } } });
  });
});
