import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Client } from '@opensearch-project/opensearch';
import type { AggregatesReader } from '@pipeline/aggregates';
import type { ConsumerStats } from '@pipeline/local';
import { idSchema } from '@pipeline/model';
import { searchOrders, searchUsers } from '@pipeline/search';
import {
  createOrderInputSchema,
  createUserInputSchema,
  parseInput,
  recordProductViewInputSchema,
  type Store,
  updateOrderStatusInputSchema,
} from '@pipeline/store';
import { z } from 'zod';
import {
  MethodNotAllowedError,
  NotAvailableError,
  ResourceNotFoundError,
  RouteNotFoundError,
} from './errors.js';
import { createPipelineStatus } from './pipeline-status.js';
import {
  addDays,
  currencyParameter,
  dayParameter,
  integerParameter,
  type QueryParameters,
  refuseUnexpectedParameters,
  searchOrdersInputFromQuery,
  searchOrdersParameters,
  searchUsersInputFromQuery,
  searchUsersParameters,
  utcDay,
} from './query.js';
import { type ApiLogSink, type ApiResponse, errorResponse } from './responses.js';

/** The store operations the API calls. */
export type ApiStore = Pick<
  Store,
  'createUser' | 'createOrder' | 'getOrderById' | 'updateOrderStatus' | 'recordProductView'
>;

/** What the API is built from; the local stack and a Lambda behind API Gateway each pass their own. */
export interface ApiDependencies {
  readonly store: ApiStore;
  /** The OpenSearch client the query library sends through. */
  readonly search: Client;
  /** Prefix of the search aliases. @default '' */
  readonly searchPrefix?: string;
  readonly aggregates: AggregatesReader;
  /** The local runner's counters; without them `GET /pipeline` answers 501. */
  readonly pipelineStats?: () => readonly ConsumerStats[];
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Where 5xx details go. @default a Powertools Logger with service name `api` */
  readonly log?: ApiLogSink;
}

/** A request as the route handlers see it, whatever transport carried it. */
export interface ApiRequest {
  /** HEAD is answered as GET; the transport leaves the body out. */
  readonly method: string;
  /** The URL's path, still percent-encoded. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The parsed JSON body, `undefined` when there was none. */
  readonly body?: unknown;
  /** Echoed in 500s and logged with them. @default a random UUID */
  readonly requestId?: string;
}

/** A request matched to its route, with the path parameters decoded. */
export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

/**
 * One route: the method, a path pattern with `:name` parameters, the query parameters it
 * takes and its handler. A GET route answers HEAD too, with the same status and headers.
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly summary: string;
  /** The query parameters the route takes; any other is refused with 400. @default none */
  readonly parameters?: QueryParameters;
  handle(context: RouteContext): Promise<ApiResponse>;
}

/** The API: its route table and one entry point that never throws. */
export interface Api {
  readonly routes: readonly Route[];
  handle(request: ApiRequest): Promise<ApiResponse>;
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

/** Parses a path parameter as an id, naming it in the 400. */
const idParameter = (name: string, value: string | undefined): string =>
  parseInput(z.object({ [name]: idSchema }), { [name]: value })[name] as string;

const asObject = (body: unknown): Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : parseInput(z.object({}), body ?? null);

const statusChangeSchema = updateOrderStatusInputSchema
  .pick({ to: true, expectedRev: true })
  .partial({ expectedRev: true });

const productViewBodySchema = recordProductViewInputSchema
  .pick({ viewId: true, userId: true })
  .partial();

const DEFAULT_SERIES_DAYS = 14;

/** The segments of an absolute path: `/a/b` is `['a', 'b']`; `//a` and `/a/` keep their empty segments. */
const segmentsOf = (path: string): string[] => path.slice(1).split('/');

/**
 * Matches a path against a pattern; returns the decoded parameters or `undefined`. The
 * match is exact: no slash is merged or dropped, so `//healthz` and `/healthz/` match no
 * route and an empty segment is never a parameter.
 */
export const matchPath = (pattern: string, path: string): Record<string, string> | undefined => {
  if (!path.startsWith('/')) return undefined;
  const expected = segmentsOf(pattern);
  const actual = segmentsOf(path);
  if (expected.length !== actual.length || actual.includes('')) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of expected.entries()) {
    const value = actual[index] ?? '';
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(value);
      } catch {
        // A malformed escape cannot be an id; the parameter's validation refuses it.
        params[segment.slice(1)] = value;
      }
    } else if (segment !== value) return undefined;
  }
  return params;
};

/**
 * Builds the API's route handlers from injected dependencies. Handlers are transport-free
 * (request in, `{ status, body }` out), so the local HTTP server and a Lambda behind API
 * Gateway share them. Bodies are validated with the store's schemas; every error maps to
 * a JSON `{ error: { code, message } }` with its 4xx, or a 500 without details.
 *
 * @example
 * const api = createApi({ store, search, aggregates, pipelineStats: () => runner.stats() });
 * const response = await api.handle({ method: 'GET', path: '/aggregates/status', query: new URLSearchParams() });
 */
export const createApi = (dependencies: ApiDependencies): Api => {
  const { store, search, aggregates } = dependencies;
  const now = dependencies.now ?? (() => new Date());
  const searchOptions = { prefix: dependencies.searchPrefix ?? '' };
  const log = dependencies.log ?? new Logger({ serviceName: 'api' });
  const startedMs = now().getTime();
  const pipelineStats = dependencies.pipelineStats;
  const pipelineStatus = pipelineStats ? createPipelineStatus(pipelineStats) : undefined;

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/users',
      summary: 'create a user',
      handle: async ({ body }) =>
        ok(await store.createUser(parseInput(createUserInputSchema, body)), 201),
    },
    {
      method: 'POST',
      path: '/orders',
      summary: 'create an order with its items; the server picks the orderId when none is given',
      handle: async ({ body }) => {
        const input = parseInput(createOrderInputSchema, {
          orderId: randomUUID(),
          ...asObject(body),
        });
        return ok(await store.createOrder(input), 201);
      },
    },
    {
      method: 'PATCH',
      path: '/orders/:id/status',
      summary: "change an order's status: { to, expectedRev? }",
      handle: async ({ params, body }) => {
        const orderId = idParameter('orderId', params.id);
        const change = parseInput(statusChangeSchema, body);
        const current = await store.getOrderById(orderId);
        if (!current) throw new ResourceNotFoundError('order', orderId);
        // Without expectedRev the change applies to the revision just read, so a concurrent
        // change between the read and the write still answers 409 rather than being lost.
        const order = await store.updateOrderStatus({
          userId: current.userId,
          orderId,
          to: change.to,
          expectedRev: change.expectedRev ?? current.rev,
        });
        return ok(order);
      },
    },
    {
      method: 'POST',
      path: '/products/:id/views',
      summary: 'record a product view: { userId?, viewId? }',
      handle: async ({ params, body }) => {
        const productId = idParameter('productId', params.id);
        const view = parseInput(productViewBodySchema, body ?? {});
        return ok(await store.recordProductView({ ...view, productId }), 201);
      },
    },
    {
      method: 'GET',
      path: '/search/orders',
      summary: `search orders: ${searchOrdersParameters.join(', ')}`,
      parameters: { names: searchOrdersParameters, repeatable: ['status'] },
      handle: async ({ query }) =>
        ok(await searchOrders(search, searchOrdersInputFromQuery(query), searchOptions)),
    },
    {
      method: 'GET',
      path: '/search/users',
      summary: `search users: ${searchUsersParameters.join(', ')}`,
      parameters: { names: searchUsersParameters },
      handle: async ({ query }) =>
        ok(await searchUsers(search, searchUsersInputFromQuery(query), searchOptions)),
    },
    {
      method: 'GET',
      path: '/aggregates/status',
      summary: 'order counts by status',
      handle: async () => ok({ counts: await aggregates.getStatusCounts() }),
    },
    {
      method: 'GET',
      path: '/aggregates/daily',
      summary:
        'orders and revenue per UTC day: from, to (YYYY-MM-DD; the last 14 days by default), currency',
      parameters: { names: ['from', 'to', 'currency'] },
      handle: async ({ query }) => {
        const to = dayParameter(query, 'to') ?? utcDay(now());
        const from = dayParameter(query, 'from') ?? addDays(to, -(DEFAULT_SERIES_DAYS - 1));
        const currency = currencyParameter(query, 'currency');
        const series = await aggregates.getDailySeries({
          from,
          to,
          ...(currency ? { currency } : {}),
        });
        return ok({ from, to, series });
      },
    },
    {
      method: 'GET',
      path: '/aggregates/users/:id',
      summary: "a user's order count and spend",
      handle: async ({ params }) => {
        const userId = idParameter('userId', params.id);
        return ok({ userId, ...(await aggregates.getUserTotals(userId)) });
      },
    },
    {
      method: 'GET',
      path: '/aggregates/products/top',
      summary: 'the most viewed products of a UTC day: day (today by default), limit (10)',
      parameters: { names: ['day', 'limit'] },
      handle: async ({ query }) => {
        const day = dayParameter(query, 'day') ?? utcDay(now());
        const limit = integerParameter(query, 'limit', { min: 1, max: 100, fallback: 10 });
        return ok({ day, products: await aggregates.getTopProducts({ day, limit }) });
      },
    },
    {
      method: 'GET',
      path: '/pipeline',
      summary: 'per-consumer lag, throughput, failures and DLQ depth',
      handle: async () => {
        if (!pipelineStatus) throw new NotAvailableError('runner statistics');
        return ok(pipelineStatus(now().getTime()));
      },
    },
    {
      method: 'GET',
      path: '/healthz',
      summary: 'health check',
      handle: async () =>
        ok({ status: 'ok', uptimeSeconds: Math.round((now().getTime() - startedMs) / 1000) }),
    },
  ];

  const handle = async (request: ApiRequest): Promise<ApiResponse> => {
    const requestId = request.requestId ?? randomUUID();
    let matched: Route | undefined;
    try {
      const candidates = routes
        .map((route) => ({ route, params: matchPath(route.path, request.path) }))
        .filter((candidate) => candidate.params !== undefined);
      if (candidates.length === 0) throw new RouteNotFoundError(request.path);
      // HEAD is GET without the body; the transport leaves the body out.
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      const found = candidates.find((candidate) => candidate.route.method === method);
      if (!found?.params) {
        const allowed = candidates.map((candidate) => candidate.route.method);
        throw new MethodNotAllowedError(
          request.method,
          allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed,
        );
      }
      matched = found.route;
      refuseUnexpectedParameters(request.query, found.route.parameters ?? { names: [] });
      return await found.route.handle({
        params: found.params,
        query: request.query,
        body: request.body,
      });
    } catch (error) {
      return errorResponse(error, {
        requestId,
        log,
        ...(matched ? { route: `${matched.method} ${matched.path}` } : {}),
      });
    }
  };

  return { routes, handle };
};
