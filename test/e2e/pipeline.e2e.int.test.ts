import { S3Client } from '@aws-sdk/client-s3';
import { readArchive } from '@pipeline/archive';
import { EntityType } from '@pipeline/model';
import { EnvVar, s3ClientConfig } from '@pipeline/pipeline';
import { createStore } from '@pipeline/store';
import { nonLoopbackAddresses, tryConnect } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDemo } from '../../packages/cli/src/commands/demo.js';
import type { RunningPipeline } from '../../packages/cli/src/commands/start.js';
import { callApi, inMemorySettings, line, startTestPipeline, utcToday } from './support.js';

let pipeline: RunningPipeline;
let call: (method: string, path: string, body?: unknown) => ReturnType<typeof callApi>;
const expiredSessionId = `expired-${Date.now()}`;

// Polls until the pipeline has carried a write through; failures before the deadline are retries.
const eventually = <T>(check: () => Promise<T>, timeout = 15_000) =>
  vi.waitFor(check, { timeout, interval: 200 });

beforeAll(async () => {
  pipeline = await startTestPipeline();
  call = (method, path, body) => callApi(pipeline.api.url, method, path, body);
  // Written first so DynamoDB's TTL sweep runs while the other tests do: a store whose clock
  // is an hour behind writes a session that expired 50 minutes ago.
  const pastStore = createStore({
    tableName: inMemorySettings().tableName,
    client: pipeline.engines.dynamodb,
    now: () => new Date(Date.now() - 3_600_000),
  });
  await pastStore.sessions.create({ sessionId: expiredSessionId, userId: 'ada', ttlSeconds: 600 });
  // A whole stack of its own: two JVMs and two esbuild bundles on a busy 2-core machine.
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
}, 60_000);

describe('the whole pipeline behind its HTTP API, as npm start runs it', () => {
  it('listens on loopback only, every engine and the API: other addresses of this machine are refused', async () => {
    // Prepare
    const { engines, api } = pipeline;
    const ports = [
      engines.dynamodbEndpoint,
      engines.openSearchUrl,
      engines.s3Endpoint,
      api.url,
    ].map((url) => Number(new URL(url).port));
    const others = nonLoopbackAddresses();
    // Act
    const loopback = await Promise.all(ports.map((port) => tryConnect('127.0.0.1', port)));
    const elsewhere = await Promise.all(
      ports.flatMap((port) => others.map((host) => tryConnect(host, port))),
    );
    // Assess
    expect(loopback).toEqual(ports.map(() => 'connected'));
    expect(elsewhere).toEqual(elsewhere.map(() => 'ECONNREFUSED'));
    expect(elsewhere).toHaveLength(ports.length * others.length);
  });

  it('answers the health check and serves the dashboard page with its chart library', async () => {
    const health = await call('GET', '/healthz');
    const page = await fetch(`${pipeline.api.url}/`);
    const chart = await fetch(`${pipeline.api.url}/vendor/uPlot.iife.min.js`);

    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('Pipeline dashboard');
    expect(chart.status).toBe(200);
  });

  it('makes a user and an order written through the API searchable by name, email and item', async () => {
    const postUser = (userId: string, email: string, name: string) =>
      call('POST', '/users', { userId, email, name });
    const user = await postUser('ada', 'Ada.E2E@example.com', 'Ada Lovelace');
    const sameId = await postUser('ada', 'x@example.com', 'X');
    const sameEmail = await postUser('grace', 'ada.e2e@example.com', 'Grace');
    const order = await call('POST', '/orders', {
      userId: 'ada',
      orderId: 'o-1',
      items: [line('beans', 'Arabica beans', 2, 1250), line('honey', 'Wild honey', 1, 800)],
    });
    const noUser = await call('POST', '/orders', {
      userId: 'nobody',
      items: [line('beans', 'Arabica beans', 1, 1250)],
    });

    expect(user).toMatchObject({
      status: 201,
      body: { userId: 'ada', email: 'ada.e2e@example.com' },
    });
    expect(sameId).toMatchObject({ status: 409, body: { error: { code: 'store.alreadyExists' } } });
    expect(sameEmail).toMatchObject({ status: 409, body: { error: { code: 'user.emailTaken' } } });
    expect(order).toMatchObject({
      status: 201,
      body: {
        order: { orderId: 'o-1', status: 'pending', total: { amount: 3300, currency: 'EUR' } },
      },
    });
    expect(noUser).toMatchObject({ status: 404, body: { error: { code: 'store.notFound' } } });
    await eventually(async () => {
      const byName = await call('GET', '/search/orders?q=lovelace');
      const byItem = await call('GET', '/search/orders?q=honey');
      const users = await call('GET', '/search/users?q=ada.e2e@example.com');
      expect(byName.body.hits).toMatchObject([
        { orderId: 'o-1', customerName: 'Ada Lovelace', total: { amount: 3300 } },
      ]);
      expect(byItem.body.hits.map((hit: { orderId: string }) => hit.orderId)).toEqual(['o-1']);
      expect(users.body.hits).toMatchObject([{ userId: 'ada', name: 'Ada Lovelace' }]);
    });
    const syntax = await call(
      'GET',
      `/search/orders?query=${encodeURIComponent('lovelace AND honey')}`,
    );
    const badSyntax = await call(
      'GET',
      `/search/orders?query=${encodeURIComponent('lovelace AND (')}`,
    );
    expect(syntax.body.hits.map((hit: { orderId: string }) => hit.orderId)).toEqual(['o-1']);
    expect(badSyntax).toMatchObject({
      status: 400,
      body: { error: { code: 'search.invalidQuery' } },
    });
  });

  it('moves an order through its statuses, refusing stale and invalid changes, and search and aggregates follow', async () => {
    const before = await call('GET', '/search/orders?q=o-1');
    const created = await pipeline.store.orders.getById('o-1');

    const paid = await call('PATCH', '/orders/o-1/status', { to: 'paid' });
    const stale = await call('PATCH', '/orders/o-1/status', {
      to: 'shipped',
      expectedRev: created?.rev,
    });
    const backwards = await call('PATCH', '/orders/o-1/status', { to: 'pending' });
    const missing = await call('PATCH', '/orders/o-404/status', { to: 'paid' });

    expect(before.body.hits[0]).toMatchObject({ orderId: 'o-1', status: 'pending' });
    expect(paid).toMatchObject({ status: 200, body: { orderId: 'o-1', status: 'paid' } });
    expect(paid.body.rev).toBeGreaterThan(created?.rev ?? Number.POSITIVE_INFINITY);
    expect(stale).toMatchObject({ status: 409, body: { error: { code: 'store.staleRevision' } } });
    expect(backwards).toMatchObject({
      status: 409,
      body: { error: { code: 'order.invalidTransition' } },
    });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'api.notFound' } } });
    await eventually(async () => {
      const counts = await call('GET', '/aggregates/status');
      const search = await call('GET', '/search/orders?status=paid');
      expect(counts.body.counts).toEqual({
        pending: 0,
        paid: 1,
        shipped: 0,
        delivered: 0,
        cancelled: 0,
      });
      expect(search.body.hits).toMatchObject([{ orderId: 'o-1', status: 'paid' }]);
    });
  });

  it('adds up daily orders, revenue and the user’s totals exactly, leaving cancelled money out', async () => {
    const today = utcToday();
    await call('POST', '/orders', {
      userId: 'ada',
      orderId: 'o-2',
      items: [line('jam', 'Jam', 1, 500)],
    });
    await call('POST', '/orders', {
      userId: 'ada',
      orderId: 'o-3',
      items: [line('tea', 'Tea', 1, 1999)],
    });
    const cancelled = await call('PATCH', '/orders/o-3/status', { to: 'cancelled' });

    expect(cancelled.status).toBe(200);
    await eventually(async () => {
      const daily = await call('GET', `/aggregates/daily?from=${today}&to=${today}`);
      const totals = await call('GET', '/aggregates/users/ada');
      const counts = await call('GET', '/aggregates/status');
      expect(daily.body.series).toEqual([{ day: today, orders: 3, revenue: { EUR: 3800 } }]);
      expect(totals.body).toEqual({ userId: 'ada', orders: 3, spend: { EUR: 3800 } });
      expect(counts.body.counts).toMatchObject({ pending: 1, paid: 1, cancelled: 1 });
    });
  });

  it('ranks today’s most viewed products from views recorded through the API', async () => {
    const views = await Promise.all([
      call('POST', '/products/beans/views', { userId: 'ada' }),
      call('POST', '/products/beans/views'),
      call('POST', '/products/beans/views'),
      call('POST', '/products/honey/views', {}),
    ]);

    expect(views.map((view) => view.status)).toEqual([201, 201, 201, 201]);
    await eventually(async () => {
      const top = await call('GET', `/aggregates/products/top?day=${utcToday()}`);
      expect(top.body.products).toEqual([
        { productId: 'beans', views: 3 },
        { productId: 'honey', views: 1 },
      ]);
    });
  });

  it('reports every mapping on /pipeline, caught up, with no failures, empty DLQs, its event counts and its sandboxes', async () => {
    await eventually(async () => {
      const { body } = await call('GET', '/pipeline');
      const byName = Object.fromEntries(
        body.consumers.map((consumer: { name: string }) => [consumer.name, consumer]),
      );
      expect(Object.keys(byName).sort()).toEqual(['aggregates-and-archive', 'sync-search']);
      for (const mapping of body.consumers) {
        expect(mapping).toMatchObject({ lagMs: 0, failures: 0, dlqDepth: 0, throttledReads: 0 });
        // Lambda's event counts: every polled record was filtered out or delivered.
        const { events } = mapping;
        expect(events.polled).toBe(mapping.recordsIn);
        expect(events.invoked).toBeGreaterThanOrEqual(events.polled - events.filteredOut);
        expect(events).toMatchObject({ failedInvoke: 0, dropped: 0 });
        // The deployable bundle ran in sandboxes, each initialised once.
        expect(mapping.sandbox.coldStarts).toBeGreaterThan(0);
        expect(mapping.sandbox.initMs).toHaveLength(mapping.sandbox.coldStarts);
        expect(mapping.sandbox).toMatchObject({ timeouts: 0, crashes: 0 });
      }
      expect(byName['sync-search'].processed).toBeGreaterThan(0);
      expect(byName['aggregates-and-archive'].processed).toBeGreaterThan(0);
    });
  });

  it('carries seeded demo traffic through without a refused write, and search counts every order', async () => {
    const { total: ordersBefore } = (await call('GET', '/search/orders?size=1')).body;
    const store = createStore({
      tableName: inMemorySettings().tableName,
      client: pipeline.engines.dynamodb,
    });

    const tally = await runDemo({
      apiUrl: pipeline.api.url,
      store,
      rate: 40,
      durationSeconds: 3,
      seed: 7,
    });

    expect(tally.failures).toEqual({});
    expect(tally.orders).toBeGreaterThan(0);
    expect(tally.views).toBeGreaterThan(0);
    await eventually(async () => {
      const { body } = await call('GET', '/search/orders?size=1');
      expect(body.total).toBe(ordersBefore + tally.orders);
    });
  });

  it('archives a session that expired through real DynamoDB TTL', async () => {
    const s3 = new S3Client(s3ClientConfig({ [EnvVar.s3Endpoint]: pipeline.engines.s3Endpoint }));
    const settings = inMemorySettings();
    const today = utcToday();

    try {
      await eventually(async () => {
        const { records } = await readArchive({
          s3,
          bucket: settings.archiveBucket,
          prefix: settings.archivePrefix,
          entityType: EntityType.session,
          from: today,
          to: today,
        });
        expect(records.map((record) => record.image.sessionId)).toContain(expiredSessionId);
      }, 45_000);
    } finally {
      s3.destroy();
    }
  }, 50_000);
});
