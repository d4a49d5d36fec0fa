import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mulberry32, zipfSampler } from '@pipeline/chaos';
import { localAwsClientConfig } from '@pipeline/local';
import { type OrderStatus, orderStatusTransitions } from '@pipeline/model';
import { EnvVar } from '@pipeline/pipeline';
import { createStore, type SessionStore } from '@pipeline/store';
import { parseCommandArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { type RuntimeFile, readRuntimeFile } from '../runtime-file.js';
import { localSettings } from '../settings.js';

/** The status an order moves to next: mostly along the happy path, sometimes cancelled. */
export const nextStatus = (status: OrderStatus, random: () => number): OrderStatus | undefined => {
  const allowed = orderStatusTransitions[status];
  if (allowed.length === 0) return undefined;
  const cancelShare = status === 'pending' ? 0.15 : 0.06;
  if (allowed.includes('cancelled') && random() < cancelShare) return 'cancelled';
  return allowed.find((candidate) => candidate !== 'cancelled');
};

const adjectives = [
  'Arabica',
  'Smoked',
  'Organic',
  'Roasted',
  'Wild',
  'Classic',
  'Spiced',
  'Alpine',
];
const nouns = [
  'coffee beans',
  'tea leaves',
  'honey',
  'olive oil',
  'chocolate',
  'granola',
  'jam',
  'pasta',
];
const firstNames = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Radia',
  'Tim',
];
const lastNames = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Perlman',
  'Lee',
];

/** One product of the demo catalogue. */
interface CatalogueProduct {
  readonly productId: string;
  readonly name: string;
  readonly price: number;
}

/** A catalogue of `size` products with stable ids, names and prices in cents. */
export const demoCatalogue = (size: number): CatalogueProduct[] =>
  Array.from({ length: size }, (_, index) => {
    const adjective = adjectives[index % adjectives.length] ?? '';
    const noun = nouns[Math.floor(index / adjectives.length) % nouns.length] ?? '';
    const name = `${adjective} ${noun}`;
    return {
      productId: `${name.toLowerCase().replaceAll(' ', '-')}-${index}`,
      name,
      price: 250 + ((index * 379) % 4000),
    };
  });

/** What one demo run did, by kind of write. */
export interface DemoTally {
  users: number;
  orders: number;
  transitions: number;
  views: number;
  sessions: number;
  /** Refused writes by HTTP status or error name, e.g. `409`. */
  failures: Record<string, number>;
  /** Ticks left out because too many requests were still in flight: the API was slower than the rate. */
  skipped: number;
}

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Base URL of the running HTTP API. */
  readonly apiUrl: string;
  /** Writes sessions directly, as no route creates them; without it the demo writes none. */
  readonly store?: { readonly sessions: Pick<SessionStore, 'create'> };
  /** Writes per second. */
  readonly rate: number;
  /** Seconds to run; 0 runs until `signal` aborts. */
  readonly durationSeconds: number;
  readonly signal?: AbortSignal;
  /** @default a random seed */
  readonly seed?: number;
  /** Session lifetimes are drawn from this range, in seconds. @default [5, 30] */
  readonly sessionTtlSeconds?: readonly [number, number];
  /** Called every `reportEveryMs` with the tally so far. */
  readonly onReport?: (tally: DemoTally) => void;
  readonly reportEveryMs?: number;
  /**
   * Finds the stack again when a request could not reach it (a restarted stack may listen
   * on new ports): returns a restarted stack's endpoints, or `undefined` while there is none
   * new. Asked at most every {@link REDISCOVER_EVERY_MS}.
   */
  readonly rediscover?: () => DemoEndpoints | undefined;
  /** Called with the new API URL once a rediscovered stack is used. */
  readonly onRediscovered?: (apiUrl: string) => void;
}

/** Where the demo sends its writes. */
export interface DemoEndpoints {
  readonly apiUrl: string;
  readonly store?: { readonly sessions: Pick<SessionStore, 'create'> };
}

/** How often the demo looks for a restarted stack while requests are refused. */
export const REDISCOVER_EVERY_MS = 500;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });

// Requests in flight at once: enough to hold the rate when the API slows, never a flood.
const MAX_IN_FLIGHT = 32;

/**
 * Drives a running stack with realistic traffic through its HTTP API: users, orders of
 * Zipf-distributed products, status transitions, product views, and sessions with short
 * TTLs so expiries reach the archive within a minute. Resolves with the tally once the
 * duration is over or the signal aborts and every request in flight has finished.
 *
 * @example
 * const tally = await runDemo({ apiUrl: 'http://127.0.0.1:8080', rate: 20, durationSeconds: 10 });
 */
export const runDemo = async (options: DemoOptions): Promise<DemoTally> => {
  const random = mulberry32(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  const runId = Date.now().toString(36);
  const catalogue = demoCatalogue(48);
  const pickProduct = zipfSampler(catalogue.length, 1.1, random);
  const [minTtl, maxTtl] = options.sessionTtlSeconds ?? [5, 30];
  const tally: DemoTally = {
    users: 0,
    orders: 0,
    transitions: 0,
    views: 0,
    sessions: 0,
    failures: {},
    skipped: 0,
  };
  const users: string[] = [];
  const openOrders = new Map<string, { status: OrderStatus; rev: number }>();
  let sequence = 0;

  let endpoints: DemoEndpoints = {
    apiUrl: options.apiUrl,
    ...(options.store ? { store: options.store } : {}),
  };
  let lastRediscovery = 0;
  // A refused request may mean the stack restarted elsewhere: look again, and go on there.
  const rediscover = () => {
    if (!options.rediscover || Date.now() - lastRediscovery < REDISCOVER_EVERY_MS) return;
    lastRediscovery = Date.now();
    const found = options.rediscover();
    if (!found) return;
    endpoints = found;
    options.onRediscovered?.(found.apiUrl);
  };
  const fail = (reason: string) => {
    tally.failures[reason] = (tally.failures[reason] ?? 0) + 1;
  };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T | undefined> => {
    try {
      const response = await fetch(`${endpoints.apiUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
      });
      const answer = (await response.json()) as T;
      if (!response.ok) {
        fail(String(response.status));
        return undefined;
      }
      return answer;
    } catch (error) {
      fail(error instanceof Error ? error.name : 'error');
      rediscover();
      return undefined;
    }
  };
  const pick = <T>(items: readonly T[]): T | undefined =>
    items[Math.floor(random() * items.length)];

  const createUser = async () => {
    const n = ++sequence;
    const first = pick(firstNames) ?? 'Ada';
    const last = pick(lastNames) ?? 'Lovelace';
    const userId = `u-${runId}-${n}`;
    const created = await call('POST', '/users', {
      userId,
      name: `${first} ${last}`,
      email: `${first}.${last}.${runId}.${n}@example.com`.toLowerCase(),
    });
    if (created) {
      users.push(userId);
      tally.users++;
    }
  };
  const createOrder = async () => {
    const userId = pick(users);
    if (!userId) return createUser();
    const lines = new Map<string, CatalogueProduct>();
    const count = 1 + Math.floor(random() * 3);
    for (let attempt = 0; attempt < count * 3 && lines.size < count; attempt++) {
      const product = catalogue[pickProduct()];
      if (product) lines.set(product.productId, product);
    }
    const orderId = `o-${runId}-${++sequence}`;
    const created = await call<{ order: { rev: number } }>('POST', '/orders', {
      userId,
      orderId,
      items: [...lines.values()].map((product) => ({
        productId: product.productId,
        name: product.name,
        quantity: 1 + Math.floor(random() * 3),
        unitPrice: { amount: product.price, currency: 'EUR' },
      })),
    });
    if (created) {
      openOrders.set(orderId, { status: 'pending', rev: created.order.rev });
      tally.orders++;
    }
  };
  const moveOrder = async () => {
    const orderId = pick([...openOrders.keys()]);
    const order = orderId ? openOrders.get(orderId) : undefined;
    if (!orderId || !order) return createOrder();
    const to = nextStatus(order.status, random);
    if (!to) {
      openOrders.delete(orderId);
      return;
    }
    // Claimed before the request, so two ticks never move the same order at once.
    openOrders.delete(orderId);
    const moved = await call<{ rev: number }>('PATCH', `/orders/${orderId}/status`, {
      to,
      expectedRev: order.rev,
    });
    if (moved) {
      tally.transitions++;
      if (orderStatusTransitions[to].length > 0)
        openOrders.set(orderId, { status: to, rev: moved.rev });
    }
  };
  const viewProduct = async () => {
    const product = catalogue[pickProduct()];
    const userId = random() < 0.7 ? pick(users) : undefined;
    if (!product) return;
    const viewed = await call(
      'POST',
      `/products/${product.productId}/views`,
      userId ? { userId } : {},
    );
    if (viewed) tally.views++;
  };
  const createSession = async () => {
    const userId = pick(users);
    const { store } = endpoints;
    if (!store || !userId) return viewProduct();
    try {
      await store.sessions.create({
        sessionId: `s-${runId}-${++sequence}`,
        userId,
        ttlSeconds: minTtl + Math.floor(random() * (maxTtl - minTtl + 1)),
      });
      tally.sessions++;
    } catch (error) {
      fail(error instanceof Error ? error.name : 'error');
      rediscover();
    }
  };

  const actions: readonly [number, () => Promise<void>][] = [
    [0.05, createUser],
    [0.2, createOrder],
    [0.2, moveOrder],
    [0.45, viewProduct],
    [0.1, createSession],
  ];
  const nextAction = () => {
    let roll = random();
    for (const [weight, action] of actions) {
      roll -= weight;
      if (roll < 0) return action;
    }
    return viewProduct;
  };

  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  for (let index = 0; index < 5; index++) track(createUser());
  await Promise.all(inFlight);

  const started = Date.now();
  const endAt = options.durationSeconds > 0 ? started + options.durationSeconds * 1000 : Infinity;
  const intervalMs = 1000 / options.rate;
  let lastReport = started;
  for (let tick = 0; !options.signal?.aborted; tick++) {
    const due = started + tick * intervalMs;
    if (due >= endAt) break;
    if (due > Date.now()) await sleep(due - Date.now(), options.signal);
    if (options.signal?.aborted) break;
    if (inFlight.size < MAX_IN_FLIGHT) track(nextAction()());
    else tally.skipped++;
    if (options.onReport && Date.now() - lastReport >= (options.reportEveryMs ?? 5_000)) {
      lastReport = Date.now();
      options.onReport(tally);
    }
  }
  await Promise.all(inFlight);
  return tally;
};

const describeTally = (tally: DemoTally): string => {
  const failures = Object.entries(tally.failures)
    .map(([reason, count]) => `${reason}×${count}`)
    .join(' ');
  const skipped = tally.skipped > 0 ? ` · ${tally.skipped} skipped (API slower than the rate)` : '';
  return `users ${tally.users} · orders ${tally.orders} · transitions ${tally.transitions} · views ${tally.views} · sessions ${tally.sessions}${failures ? ` · refused ${failures}` : ''}${skipped}`;
};

/** `demo`: realistic traffic against a running `npm start`, until Ctrl-C or the duration ends. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'drive the running pipeline with realistic traffic through its HTTP API',
  usage: [
    'npm run demo [-- --rate 20 --duration 0 --seed 42 --api-url http://127.0.0.1:8080]',
    '',
    '  --rate       writes per second (default 20)',
    '  --duration   seconds to run; 0 runs until Ctrl-C (default 0)',
    '  --seed       repeat a run exactly (default random)',
    '  --api-url    the HTTP API (default: the one `npm start` recorded in its data directory)',
    "  --data-dir   the running stack's data directory (default PIPELINE_DATA_DIR or .local)",
    '',
    'Sessions are written to the table directly (no route creates them) with 5 to 30 s',
    'TTLs, so their expiry reaches the archive within about a minute.',
  ].join('\n'),
  async run(args) {
    const { values } = parseCommandArgs(args, {
      rate: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      'api-url': { type: 'string' },
    });
    const numberFlag = (name: 'rate' | 'duration' | 'seed', fallback: number) => {
      const raw = values[name];
      const value = raw === undefined ? fallback : Number(raw);
      if (!Number.isFinite(value) || value < 0 || raw?.trim() === '')
        throw new UsageError(`--${name} must be a number ≥ 0, not ${JSON.stringify(raw)}`, {
          flag: `--${name}`,
        });
      return value;
    };
    const rate = numberFlag('rate', 20);
    if (rate <= 0) throw new UsageError('--rate must be above 0', { flag: '--rate' });
    const durationSeconds = numberFlag('duration', 0);
    const seed = values.seed === undefined ? undefined : numberFlag('seed', 0);
    const dataDirectory =
      values['data-dir'] ??
      process.env[localSettings.dataDirectory.env] ??
      localSettings.dataDirectory.default;
    const runtime = readRuntimeFile(dataDirectory);
    const apiUrl = typeof values['api-url'] === 'string' ? values['api-url'] : runtime?.apiUrl;
    if (!apiUrl) {
      console.error(
        dataDirectory
          ? `no running pipeline found in ${dataDirectory}/: start it with \`npm start\` first, or pass --api-url`
          : 'no in-memory stack is running: start one with `npm start -- --data-dir ""`, or pass --api-url',
      );
      return 1;
    }
    const clients: DynamoDBClient[] = [];
    const storeOf = (found: RuntimeFile | undefined) => {
      const tableName = found?.environment[EnvVar.tableName];
      if (!found || !tableName) return undefined;
      const client = new DynamoDBClient(localAwsClientConfig(found.dynamodbEndpoint));
      clients.push(client);
      return createStore({ tableName, client });
    };
    const store = storeOf(runtime);
    // A URL given by hand stays; one read from the runtime file follows the stack's restarts.
    let knownPid = runtime?.pid;
    const rediscover =
      values['api-url'] === undefined && dataDirectory
        ? (): DemoEndpoints | undefined => {
            const found = readRuntimeFile(dataDirectory);
            if (!found?.apiUrl || found.pid === knownPid) return undefined;
            knownPid = found.pid;
            const foundStore = storeOf(found);
            return { apiUrl: found.apiUrl, ...(foundStore ? { store: foundStore } : {}) };
          }
        : undefined;
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    console.log(
      `demo traffic → ${apiUrl} at ${rate} writes/s ${durationSeconds > 0 ? `for ${durationSeconds} s` : 'until Ctrl-C'}${store ? '' : ' (no sessions: the table is unknown)'}`,
    );
    console.log(`watch it on the dashboard: ${apiUrl}/`);
    try {
      const tally = await runDemo({
        apiUrl,
        ...(store ? { store } : {}),
        rate,
        durationSeconds,
        signal: controller.signal,
        ...(seed === undefined ? {} : { seed }),
        ...(rediscover ? { rediscover } : {}),
        onRediscovered: (url) => console.log(`the stack restarted: demo traffic → ${url}`),
        onReport: (progress) => console.log(describeTally(progress)),
      });
      console.log(`done: ${describeTally(tally)}`);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      for (const client of clients) client.destroy();
    }
  },
};
