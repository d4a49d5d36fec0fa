import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { AggregatesReader } from '@pipeline/aggregates';
import type { ConsumerStats } from '@pipeline/local';
import {
  calendarDaySchema,
  currencySchema,
  idSchema,
  orderSchema,
  productViewSchema,
  userSchema,
} from '@pipeline/model';
import { type QuerySearchClient, searchOrders, searchUsers } from '@pipeline/search';
import {
  checkOrderLines,
  createOrderInputSchema,
  createUserInputSchema,
  type OrderStore,
  type ProductViewStore,
  parseInput,
  recordProductViewInputSchema,
  type UserStore,
  updateOrderStatusInputSchema,
} from '@pipeline/store';
import * as z from 'zod';
import {
  MethodNotAllowedError,
  NotAvailableError,
  ResourceNotFoundError,
  RouteNotFoundError,
} from './errors.js';
import { openApiDocument } from './openapi.js';
import { createPipelineStatus } from './pipeline-status.js';
import {
  addDays,
  boundsOf,
  currencyParameter,
  dayParameter,
  integerParameter,
  refuseUnexpectedParameters,
  searchOrdersInputFromQuery,
  searchOrdersQuerySchema,
  searchUsersInputFromQuery,
  searchUsersQuerySchema,
  utcDay,
} from './query.js';
import {
  dailySeriesSchema,
  healthSchema,
  openApiDocumentSchema,
  orderWithItemsSchema,
  pipelineStatusSchema,
  searchOrdersResultSchema,
  searchUsersResultSchema,
  statusCountsSchema,
  topProductsSchema,
  userTotalsSchema,
} from './response-schemas.js';
import { type ApiLogSink, type ApiResponse, errorResponse } from './responses.js';

/** The store operations the API calls. */
export interface ApiStore {
  readonly users: Pick<UserStore, 'create'>;
  readonly orders: Pick<OrderStore, 'create' | 'getById' | 'updateStatus'>;
  readonly productViews: Pick<ProductViewStore, 'record'>;
}

/** What the API is built from; the local stack and a Lambda behind API Gateway each pass their own. */
export interface ApiDependencies {
  readonly store: ApiStore;
  /** The OpenSearch client the query library sends through. */
  readonly search: QuerySearchClient;
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

/** A request matched to its route: path parameters and body parsed by the route's schemas. */
export interface RouteContext<Params = Readonly<Record<string, string>>, Body = unknown> {
  readonly params: Params;
  readonly query: URLSearchParams;
  readonly body: Body;
}

/**
 * What a route reads from a request, as the zod schemas that validate it. The dispatcher
 * parses the path parameters and the body with them before the handler runs, and the
 * OpenAPI document is generated from the same schemas, so the two cannot disagree.
 */
export interface RouteRequest {
  /** The path parameters, by their name in `path` (`:orderId`). */
  readonly path?: z.ZodObject;
  /** The query parameters: the object's keys are every name the route takes; any other is refused with 400. */
  readonly query?: z.ZodObject;
  /** Query parameters that may be given more than once. @default [] */
  readonly repeatable?: readonly string[];
  /** The JSON body; a schema that accepts `undefined` makes the body optional. */
  readonly body?: z.ZodType;
}

/** The success answer of a route: its status and the schema of its body. */
export interface RouteResponse {
  readonly status: 200 | 201;
  readonly description: string;
  readonly schema: z.ZodType;
}

/**
 * One route: the method, a path pattern with `:name` parameters, what it reads, what it
 * answers and its handler. A GET route answers HEAD too, with the same status and headers.
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly summary: string;
  readonly request?: RouteRequest;
  readonly response: RouteResponse;
  handle(context: RouteContext): Promise<ApiResponse>;
}

/**
 * Declares a route whose handler sees its path parameters and body typed by the route's
 * own schemas.
 */
const route = <
  P extends z.ZodObject = z.ZodObject<Record<never, never>>,
  B extends z.ZodType = z.ZodUndefined,
>(
  definition: Omit<Route, 'request' | 'handle'> & {
    readonly request?: Omit<RouteRequest, 'path' | 'body'> & {
      readonly path?: P;
      readonly body?: B;
    };
    handle(context: RouteContext<z.output<P>, z.output<B>>): Promise<ApiResponse>;
  },
): Route => definition as Route;

/** The API: its route table and one entry point that never throws. */
export interface Api {
  readonly routes: readonly Route[];
  handle(request: ApiRequest): Promise<ApiResponse>;
}

const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

/** `POST /orders`: the store's input, with the `orderId` the server picks when none is given. */
const createOrderBodySchema = z
  .strictObject({ ...createOrderInputSchema.shape, orderId: idSchema.optional() })
  .superRefine(checkOrderLines);

/** `PATCH /orders/:orderId/status`: the target status, and the revision the change applies to. */
const statusChangeSchema = updateOrderStatusInputSchema
  .pick({ to: true, expectedRev: true })
  .partial({ expectedRev: true });

/** `POST /products/:productId/views`: who viewed it and the view's id, both optional, as is the body. */
const productViewBodySchema = recordProductViewInputSchema
  .pick({ viewId: true, userId: true })
  .partial()
  .optional();

const DEFAULT_SERIES_DAYS = 14;

const dailyQuerySchema = z.object({
  from: calendarDaySchema
    .optional()
    .describe(`first UTC day, YYYY-MM-DD; default ${DEFAULT_SERIES_DAYS - 1} days before to`),
  to: calendarDaySchema.optional().describe('last UTC day, YYYY-MM-DD; default today'),
  currency: currencySchema.optional().describe('only this currency (ISO 4217) in revenue'),
});

const topProductsLimitSchema = z.int().min(1).max(100).describe('how many products, 10 by default');
const topProductsQuerySchema = z.object({
  day: calendarDaySchema.optional().describe('the UTC day, YYYY-MM-DD; default today'),
  limit: topProductsLimitSchema.optional(),
});

const orderPath = z.object({ orderId: idSchema });
const userPath = z.object({ userId: idSchema });
const productPath = z.object({ productId: idSchema });

/** Parses a request's part with a route's schema, naming each field at fault in the 400. */
const parsePart = (schema: z.ZodType | undefined, value: unknown): unknown =>
  schema ? parseInput(schema, value) : value;

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

  let document: ReturnType<typeof openApiDocument> | undefined;
  const routes: Route[] = [
    route({
      method: 'POST',
      path: '/users',
      summary: 'create a user',
      request: { body: createUserInputSchema },
      response: { status: 201, description: 'the user as stored', schema: userSchema },
      handle: async ({ body }) => ok(await store.users.create(body), 201),
    }),
    route({
      method: 'POST',
      path: '/orders',
      summary: 'create an order with its items; the server picks the orderId when none is given',
      request: { body: createOrderBodySchema },
      response: {
        status: 201,
        description: 'the order, with its total in minor units, and its items',
        schema: orderWithItemsSchema,
      },
      handle: async ({ body }) =>
        ok(await store.orders.create({ ...body, orderId: body.orderId ?? randomUUID() }), 201),
    }),
    route({
      method: 'PATCH',
      path: '/orders/:orderId/status',
      summary: "change an order's status: { to, expectedRev? }",
      request: { path: orderPath, body: statusChangeSchema },
      response: { status: 200, description: 'the order after the change', schema: orderSchema },
      handle: async ({ params: { orderId }, body: change }) => {
        const current = await store.orders.getById(orderId);
        if (!current) throw new ResourceNotFoundError('order', orderId);
        // Without expectedRev the change applies to the revision just read, so a concurrent
        // change between the read and the write still answers 409 rather than being lost.
        const order = await store.orders.updateStatus({
          userId: current.userId,
          orderId,
          to: change.to,
          expectedRev: change.expectedRev ?? current.rev,
        });
        return ok(order);
      },
    }),
    route({
      method: 'POST',
      path: '/products/:productId/views',
      summary: 'record a product view: { userId?, viewId? }',
      request: { path: productPath, body: productViewBodySchema },
      response: { status: 201, description: 'the view as stored', schema: productViewSchema },
      handle: async ({ params: { productId }, body }) =>
        ok(await store.productViews.record({ ...body, productId }), 201),
    }),
    route({
      method: 'GET',
      path: '/search/orders',
      summary: 'search orders by words or a query_string query, with filters, sort and paging',
      request: { query: searchOrdersQuerySchema, repeatable: ['status'] },
      response: {
        status: 200,
        description: 'a page of orders, the total, and counts by status and day',
        schema: searchOrdersResultSchema,
      },
      handle: async ({ query }) =>
        ok(await searchOrders(search, searchOrdersInputFromQuery(query), searchOptions)),
    }),
    route({
      method: 'GET',
      path: '/search/users',
      summary: 'search users by words or a query_string query, with paging',
      request: { query: searchUsersQuerySchema },
      response: {
        status: 200,
        description: 'a page of users and the total',
        schema: searchUsersResultSchema,
      },
      handle: async ({ query }) =>
        ok(await searchUsers(search, searchUsersInputFromQuery(query), searchOptions)),
    }),
    route({
      method: 'GET',
      path: '/aggregates/status',
      summary: 'order counts by status',
      response: {
        status: 200,
        description: 'orders per status right now',
        schema: statusCountsSchema,
      },
      handle: async () => ok({ counts: await aggregates.getStatusCounts() }),
    }),
    route({
      method: 'GET',
      path: '/aggregates/daily',
      summary: `orders and revenue per UTC day, the last ${DEFAULT_SERIES_DAYS} days by default`,
      request: { query: dailyQuerySchema },
      response: {
        status: 200,
        description:
          'one point per day, days without orders included; orders counts every order created that day, revenue leaves cancelled orders out',
        schema: dailySeriesSchema,
      },
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
    }),
    route({
      method: 'GET',
      path: '/aggregates/users/:userId',
      summary: "a user's order count and spend",
      request: { path: userPath },
      response: {
        status: 200,
        description: 'lifetime totals; spend leaves cancelled orders out',
        schema: userTotalsSchema,
      },
      handle: async ({ params: { userId } }) =>
        ok({ userId, ...(await aggregates.getUserTotals(userId)) }),
    }),
    route({
      method: 'GET',
      path: '/aggregates/products/top',
      summary: 'the most viewed products of a UTC day',
      request: { query: topProductsQuerySchema },
      response: {
        status: 200,
        description: 'products by views, most viewed first',
        schema: topProductsSchema,
      },
      handle: async ({ query }) => {
        const day = dayParameter(query, 'day') ?? utcDay(now());
        const limit = integerParameter(query, 'limit', {
          ...boundsOf(topProductsLimitSchema),
          fallback: 10,
        });
        return ok({ day, products: await aggregates.getTopProducts({ day, limit }) });
      },
    }),
    route({
      method: 'GET',
      path: '/pipeline',
      summary:
        'per-consumer lag, freshness, throughput, failures and DLQ depth (local runner only)',
      response: {
        status: 200,
        description: 'one entry per event source mapping',
        schema: pipelineStatusSchema,
      },
      handle: async () => {
        if (!pipelineStatus) throw new NotAvailableError('runner statistics');
        return ok(pipelineStatus(now().getTime()));
      },
    }),
    route({
      method: 'GET',
      path: '/healthz',
      summary: 'health check',
      response: { status: 200, description: 'the server is up', schema: healthSchema },
      handle: async () =>
        ok({ status: 'ok', uptimeSeconds: Math.round((now().getTime() - startedMs) / 1000) }),
    }),
    route({
      method: 'GET',
      path: '/openapi.json',
      summary: 'this API as an OpenAPI 3.1 document',
      response: {
        status: 200,
        description: 'generated from the schemas that validate each request',
        schema: openApiDocumentSchema,
      },
      handle: async () => {
        document ??= openApiDocument(routes);
        return ok(document);
      },
    }),
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
      const accepts = found.route.request;
      refuseUnexpectedParameters(request.query, {
        names: Object.keys(accepts?.query?.shape ?? {}),
        repeatable: accepts?.repeatable ?? [],
      });
      return await found.route.handle({
        params: parsePart(accepts?.path, found.params) as Record<string, string>,
        query: request.query,
        body: parsePart(accepts?.body, request.body),
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
