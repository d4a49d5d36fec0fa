import { ConnectionError } from '@opensearch-project/opensearch/lib/errors.js';
import { createAggregatesReader } from '@pipeline/aggregates';
import type { ConsumerStats } from '@pipeline/local';
import { describe, expect, it } from 'vitest';
import { pipelineStatusSchema } from '../src/response-schemas.js';
import {
  aggregatesReader,
  internalError,
  request,
  searchClient,
  storeWithClient,
  testApi,
} from './support.js';

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
    const sort = await api.handle(request('GET', '/search/orders', { query: 'sort=cheapest' }));

    expect(unknown).toMatchObject({
      status: 400,
      body: { error: { code: 'api.unknownParameter', issues: [{ path: 'colour' }] } },
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
        throttledReads: 0,
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
        lagSource: 'write-time',
        freshness: { windowSeconds: 60, samples: 1, p50Ms: 120, p99Ms: 120 },
        events: {
          polled: processed,
          filteredOut: 0,
          invoked: processed,
          failedInvoke: 0,
          dropped: 0,
          onFailureDestinationDelivered: 0,
        },
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
    // The document's schema is the answer's type, so it describes every field sent.
    expect(pipelineStatusSchema.safeParse(status.body).error).toBeUndefined();
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

    expect(response).toEqual(internalError('request-1'));
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

describe('strict query parameters', () => {
  /**
   * Reads `path` with `query`, checks the answer is a 400 refusing a parameter with nothing read
   * and nothing logged, and gives its message.
   */
  const refusal = async (path: string, query: string) => {
    const { calls, reader } = aggregatesReader();
    const { api, logged } = testApi({ aggregates: reader });

    const response = await api.handle(request('GET', path, { query }));

    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'api.invalidParameter', message: expect.any(String) } },
    });
    expect(calls).toHaveLength(0);
    expect(logged).toHaveLength(0);
    return (response.body as { error: { message: string } }).error.message;
  };

  it.each([
    ['to=garbage', 'to'],
    ['to=2026-13-01', 'to'],
    ['to=%20', 'to'],
    ['to=99999-01-01', 'to'],
    ['from=2026-02-30', 'from'],
    ['from=2026-03-01&to=2026-02-29', 'to'],
  ])(
    'refuses a daily series with %s with 400 naming %s, reading nothing',
    async (query, parameter) => {
      expect(await refusal('/aggregates/daily', query)).toMatch(new RegExp(`^${parameter} `));
    },
  );

  it('refuses a top-products day that is not on the calendar', async () => {
    expect(await refusal('/aggregates/products/top', 'day=2026-02-31')).toBe(
      'day must be a day of the calendar, such as 2026-02-28, not "2026-02-31"',
    );
  });

  it.each(["';", 'eur', 'EURO'])('refuses the currency %s as not ISO 4217', async (currency) => {
    const query = new URLSearchParams({ currency }).toString();
    expect(await refusal('/aggregates/daily', query)).toMatch(/^currency /);
  });

  it('reads a leap day and a currency, and keeps a default range near year 0 on the calendar', async () => {
    const { calls, reader } = aggregatesReader();
    const { api } = testApi({ aggregates: reader });

    const leap = await api.handle(
      request('GET', '/aggregates/daily', { query: 'from=2028-02-29&to=2028-03-01&currency=EUR' }),
    );
    const early = await api.handle(request('GET', '/aggregates/daily', { query: 'to=0000-01-05' }));

    expect(leap.status).toBe(200);
    expect(early).toMatchObject({ status: 200, body: { from: '0000-01-01', to: '0000-01-05' } });
    expect(calls.map((call) => call.args[0])).toEqual([
      { from: '2028-02-29', to: '2028-03-01', currency: 'EUR' },
      { from: '0000-01-01', to: '0000-01-05' },
    ]);
  });

  it('refuses an unknown parameter by name on every route, and a repeated one where one is read', async () => {
    const { sent, store } = storeWithClient();
    const search = searchClient(() => ({}));
    const { api } = testApi({ store, search: search.client });

    const typo = await api.handle(request('GET', '/search/users', { query: 'q=ada&sizee=5' }));
    const onStatus = await api.handle(request('GET', '/aggregates/status', { query: 'debug=1' }));
    const onPost = await api.handle(
      request('POST', '/users', { query: 'admin=1', body: validUser }),
    );
    const twice = await api.handle(
      request('GET', '/aggregates/products/top', { query: 'limit=5&limit=50' }),
    );

    expect(typo).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'api.unknownParameter',
          message: 'unknown query parameter "sizee"; this route takes q, query, size, cursor',
          issues: [{ path: 'sizee', message: 'is not a parameter of this route' }],
        },
      },
    });
    expect(onStatus).toMatchObject({
      status: 400,
      body: {
        error: { code: 'api.unknownParameter', message: expect.stringContaining('takes none') },
      },
    });
    expect(onPost).toMatchObject({
      status: 400,
      body: { error: { code: 'api.unknownParameter' } },
    });
    expect(twice).toMatchObject({
      status: 400,
      body: { error: { code: 'api.invalidParameter', message: expect.stringMatching(/^limit /) } },
    });
    expect(sent).toHaveLength(0);
    expect(search.requests).toHaveLength(0);
  });

  it('refuses a search instant that is not on the calendar, sending no search', async () => {
    const search = searchClient(() => ({}));
    const { api } = testApi({ search: search.client });

    const response = await api.handle(
      request('GET', '/search/orders', { query: 'createdFrom=2026-02-30T00:00:00Z' }),
    );

    expect(response).toMatchObject({
      status: 400,
      body: { error: { code: 'search.invalidQuery', issues: [{ path: 'createdFrom' }] } },
    });
    expect(search.requests).toHaveLength(0);
  });

  it('answers size=-1 with the allowed range, not a type error', async () => {
    const { api } = testApi();

    const response = await api.handle(request('GET', '/search/orders', { query: 'size=-1' }));

    expect(response).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'api.invalidParameter',
          message: 'size must be a whole number from 1 to 100, not "-1"',
        },
      },
    });
  });

  it('accepts every query the dashboard sends', async () => {
    const search = searchClient(() => ({ hits: { total: { value: 0 }, hits: [] } }));
    const { api } = testApi({ search: search.client });
    // The requests of packages/api/static/dashboard.js.
    const dashboardRequests = [
      '/aggregates/status',
      '/aggregates/daily',
      '/aggregates/products/top?day=2026-03-15&limit=10',
      '/search/orders?size=20&q=ada',
      '/search/users?size=20',
    ];

    const statuses = await Promise.all(
      dashboardRequests.map(async (target) => {
        const [path = '', query] = target.split('?');
        return (await api.handle(request('GET', path, { query: query ?? '' }))).status;
      }),
    );

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('strict bodies', () => {
  it.each([
    ['a user with isAdmin', '/users', { ...validUser, isAdmin: true }, ['isAdmin']],
    [
      'an order with status and total',
      '/orders',
      { ...validOrder, status: 'delivered', total: 0 },
      ['status', 'total'],
    ],
    [
      'an order line with a discount',
      '/orders',
      { ...validOrder, items: [{ ...validOrder.items[0], discount: 50 }] },
      ['items.0.discount'],
    ],
    [
      'a price with a note',
      '/orders',
      {
        ...validOrder,
        items: [{ ...validOrder.items[0], unitPrice: { amount: 1, currency: 'EUR', note: 'x' } }],
      },
      ['items.0.unitPrice.note'],
    ],
    ['a product view naming its product', '/products/p1/views', { productId: 'p2' }, ['productId']],
  ])(
    'refuses %s with 400 naming each unknown field, and sends nothing',
    async (_name, path, body, fields) => {
      const { sent, store } = storeWithClient();
      const { api } = testApi({ store });

      const response = await api.handle(request('POST', path, { body }));

      expect(response).toMatchObject({
        status: 400,
        body: { error: { code: 'store.validation' } },
      });
      expect((response.body as { error: { issues: { path: string }[] } }).error.issues).toEqual(
        fields.map((field) => ({ path: field, message: 'is not a field of this input' })),
      );
      expect(sent).toHaveLength(0);
    },
  );

  it('refuses a status change with an unknown field before reading the order', async () => {
    const { sent, store } = storeWithClient();
    const { api } = testApi({ store });

    const response = await api.handle(
      request('PATCH', '/orders/o1/status', { body: { to: 'paid', reason: 'late' } }),
    );

    expect(response).toMatchObject({
      status: 400,
      body: { error: { issues: [{ path: 'reason', message: 'is not a field of this input' }] } },
    });
    expect(sent).toHaveLength(0);
  });
});

describe('text policy at the API', () => {
  it.each([
    ['a NUL', 'Ada\u0000Lovelace', 'U+0000'],
    ['a BEL', 'Ada\u0007', 'U+0007'],
    ['a right-to-left override', 'Ada\u202Egpj.exe', 'U+202E'],
    ['a bidi isolate', '\u2066Ada', 'U+2066'],
    ['a C1 control', 'Ada\u0085', 'U+0085'],
    ['a lone surrogate', 'Ada\uD800', 'U+D800'],
  ])(
    'refuses a user name with %s, naming the character, and sends nothing',
    async (_name, name, codePoint) => {
      const { sent, store } = storeWithClient();
      const { api } = testApi({ store });

      const response = await api.handle(
        request('POST', '/users', { body: { ...validUser, name } }),
      );

      expect(response).toMatchObject({
        status: 400,
        body: {
          error: {
            code: 'store.validation',
            issues: [{ path: 'name', message: expect.stringContaining(codePoint) }],
          },
        },
      });
      expect(sent).toHaveLength(0);
    },
  );

  it('refuses an order line name with a control character', async () => {
    const { sent, store } = storeWithClient();
    const { api } = testApi({ store });

    const response = await api.handle(
      request('POST', '/orders', {
        body: { ...validOrder, items: [{ ...validOrder.items[0], name: 'Beans\n' }] },
      }),
    );

    expect(response).toMatchObject({
      status: 400,
      body: { error: { issues: [{ path: 'items.0.name' }] } },
    });
    expect(sent).toHaveLength(0);
  });
});

describe('methods and paths', () => {
  it('answers HEAD on a GET route as GET, and lists HEAD where GET is allowed', async () => {
    const { api } = testApi();

    const head = await api.handle(request('HEAD', '/healthz'));
    const headOnPost = await api.handle(request('HEAD', '/users'));
    const postOnGet = await api.handle(request('POST', '/healthz'));

    expect(head).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(headOnPost).toMatchObject({ status: 405, headers: { allow: 'POST' } });
    expect(postOnGet).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
  });

  it.each(['//healthz', '/healthz/', '/aggregates//status', '/aggregates/users//', 'healthz'])(
    'matches %s to no route',
    async (path) => {
      const { api } = testApi();

      const response = await api.handle(request('GET', path));

      expect(response).toMatchObject({
        status: 404,
        body: { error: { code: 'api.routeNotFound' } },
      });
    },
  );
});
