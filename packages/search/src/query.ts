import {
  currencySchema,
  idSchema,
  minorUnitsSchema,
  type OrderStatus,
  orderStatusSchema,
} from '@pipeline/model';
import * as z from 'zod';
import type { OrderDocument } from './documents.js';
import { InvalidSearchQueryError } from './errors.js';
import { requestFailed, searchIndexNames } from './indices.js';
import type { QuerySearchClient } from './sync-client.js';

/** Sort orders of {@link searchOrders}. */
export const OrderSort = {
  newest: 'newest',
  oldest: 'oldest',
  total: 'total',
  relevance: 'relevance',
} as const;

/** One of the values of {@link OrderSort}. */
export type OrderSort = (typeof OrderSort)[keyof typeof OrderSort];

const instant = z.iso.datetime({ offset: true });
/** Hits per page when a query names no `size`. */
const DEFAULT_PAGE_SIZE = 20;
const size = z.number().int().min(1).max(100);
const pageSize = (input: { readonly size?: number }): number => input.size ?? DEFAULT_PAGE_SIZE;
const text = z.string().trim().min(1).max(200);
// OpenSearch's query_string syntax: AND, OR, NOT, "phrases", field:value, wildcards, ranges.
const queryString = z.string().trim().min(1).max(500);
const cursor = z.string().min(1).max(2048);

/** Whether the input asks for words, so results rank by relevance. */
const matchesWords = (input: { text?: string; query?: string }): boolean =>
  input.text !== undefined || input.query !== undefined;

/** A query_string clause over `fields`, or nothing when there is no query. */
const queryStringClause = (query: string | undefined, fields: string[]): unknown[] =>
  query === undefined
    ? []
    : [
        {
          query_string: {
            query,
            fields,
            default_operator: 'and',
            // A leading wildcard scans every term of the index.
            allow_leading_wildcard: false,
          },
        },
      ];

/** What a service may ask of the orders index. */
export const searchOrdersInputSchema = z
  .strictObject({
    text: text
      .optional()
      .describe(
        'words, or an exact order id or email, matched against customer name, email, item names and order id',
      ),
    // Bad syntax throws InvalidSearchQueryError naming `query`.
    query: queryString
      .optional()
      .describe(
        'a query in OpenSearch\'s query_string syntax (`ada AND "blue mug"`, `status:paid -itemNames:mug`) over the same fields as text; words are joined by AND',
      ),
    status: z
      .union([orderStatusSchema, z.array(orderStatusSchema).min(1).max(5)])
      .optional()
      .describe('one status, or several (any of them matches)'),
    userId: idSchema.optional().describe("only this user's orders"),
    createdFrom: instant.optional().describe('earliest createdAt, inclusive, ISO 8601'),
    createdTo: instant.optional().describe('latest createdAt, inclusive, ISO 8601'),
    minTotal: minorUnitsSchema.optional().describe('smallest total, inclusive, in minor units'),
    maxTotal: minorUnitsSchema.optional().describe('largest total, inclusive, in minor units'),
    currency: currencySchema.optional().describe('only totals in this currency (ISO 4217)'),
    sort: z
      .enum([OrderSort.newest, OrderSort.oldest, OrderSort.total, OrderSort.relevance])
      .optional()
      .describe('relevance with text or query, newest without; total is largest first'),
    size: size.optional().describe(`orders per page, ${DEFAULT_PAGE_SIZE} by default`),
    cursor: cursor
      .optional()
      .describe('the cursor of the previous page, with the same filters and sort'),
  })
  .refine(
    (input) =>
      input.createdFrom === undefined ||
      input.createdTo === undefined ||
      Date.parse(input.createdFrom) <= Date.parse(input.createdTo),
    { path: ['createdTo'], message: 'must not be before createdFrom' },
  )
  .refine(
    (input) =>
      input.minTotal === undefined ||
      input.maxTotal === undefined ||
      input.minTotal <= input.maxTotal,
    { path: ['maxTotal'], message: 'must not be below minTotal' },
  )
  .refine((input) => input.sort !== OrderSort.relevance || matchesWords(input), {
    path: ['sort'],
    message: 'relevance needs text or query',
  });

/** Input of {@link searchOrders}. */
export type SearchOrdersInput = z.input<typeof searchOrdersInputSchema>;

/** What a service may ask of the users index. */
export const searchUsersInputSchema = z.strictObject({
  text: text.optional().describe('words matched against name, email and user id'),
  query: queryString
    .optional()
    .describe("a query in OpenSearch's query_string syntax over name and email"),
  size: size.optional().describe(`users per page, ${DEFAULT_PAGE_SIZE} by default`),
  cursor: cursor.optional().describe('the cursor of the previous page, with the same query'),
});

/** Input of {@link searchUsers}. */
export type SearchUsersInput = z.input<typeof searchUsersInputSchema>;

/** A search request: the alias to read and the body. */
export interface SearchRequest {
  readonly index: string;
  readonly body: Record<string, unknown>;
}

/** Options shared by the builders and senders. */
export interface SearchOptions {
  /** Prefix of the aliases. @default '' */
  readonly prefix?: string;
}

const parse = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidSearchQueryError(
    result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    { cause: result.error },
  );
};

type SortValue = string | number;

/** Encodes the sort values of a page's last hit, tagged with the sort they belong to. */
export const encodeCursor = (sort: string, values: readonly SortValue[]): string =>
  Buffer.from(JSON.stringify({ s: sort, a: values })).toString('base64url');

/** Decodes a cursor, refusing one from another sort or one that was tampered with. */
export const decodeCursor = (raw: string, sort: string, length: number): SortValue[] => {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidSearchQueryError([{ path: 'cursor', message: 'is not a cursor' }], {
      cause: error,
    });
  }
  const { s, a } = (decoded ?? {}) as { s?: unknown; a?: unknown };
  if (
    s !== sort ||
    !Array.isArray(a) ||
    a.length !== length ||
    !a.every(
      (value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)),
    )
  ) {
    throw new InvalidSearchQueryError([
      { path: 'cursor', message: 'does not belong to this sort' },
    ]);
  }
  return a as SortValue[];
};

const tiebreak = [{ createdAt: { order: 'desc' } }, { orderId: { order: 'asc' } }];
const orderSorts: Record<OrderSort, unknown[]> = {
  newest: tiebreak,
  oldest: [{ createdAt: { order: 'asc' } }, { orderId: { order: 'asc' } }],
  total: [{ 'total.amount': { order: 'desc' } }, ...tiebreak],
  relevance: [{ _score: { order: 'desc' } }, ...tiebreak],
};

/** Markers of deleted documents are never results. */
const notDeleted = { term: { deleted: true } };

const orderFields = [
  'orderId',
  'userId',
  'status',
  'createdAt',
  'updatedAt',
  'total',
  'itemProductIds',
  'itemNames',
  'customerName',
  'customerEmail',
];

/**
 * Builds the search body for orders: text over customer name, email, item names and order
 * id; filters; a sort with a unique tiebreak so `search_after` pages never skip or repeat;
 * status facets and a daily histogram; markers excluded. Throws
 * {@link InvalidSearchQueryError} on a bad input.
 *
 * @example
 * buildSearchOrdersRequest({ text: 'ada', status: 'paid', sort: 'total', size: 10 })
 */
export const buildSearchOrdersRequest = (
  rawInput: SearchOrdersInput,
  options: SearchOptions = {},
): SearchRequest => {
  const input = parse(searchOrdersInputSchema, rawInput);
  const sort = input.sort ?? (matchesWords(input) ? OrderSort.relevance : OrderSort.newest);
  const sortSpec = orderSorts[sort];
  const filter: unknown[] = [];
  if (input.status !== undefined)
    filter.push({ terms: { status: Array.isArray(input.status) ? input.status : [input.status] } });
  if (input.userId !== undefined) filter.push({ term: { userId: input.userId } });
  if (input.createdFrom !== undefined || input.createdTo !== undefined)
    filter.push({
      range: {
        createdAt: {
          ...(input.createdFrom === undefined ? {} : { gte: input.createdFrom }),
          ...(input.createdTo === undefined ? {} : { lte: input.createdTo }),
        },
      },
    });
  if (input.minTotal !== undefined || input.maxTotal !== undefined)
    filter.push({
      range: {
        'total.amount': {
          ...(input.minTotal === undefined ? {} : { gte: input.minTotal }),
          ...(input.maxTotal === undefined ? {} : { lte: input.maxTotal }),
        },
      },
    });
  if (input.currency !== undefined) filter.push({ term: { 'total.currency': input.currency } });
  const must =
    input.text === undefined
      ? []
      : [
          {
            bool: {
              should: [
                {
                  multi_match: {
                    query: input.text,
                    fields: ['customerName^3', 'customerEmail^2', 'itemNames'],
                    operator: 'and',
                  },
                },
                { term: { orderId: { value: input.text, boost: 5 } } },
                // Emails are stored lower-cased, so an exact address matches whatever its case.
                {
                  term: { 'customerEmail.keyword': { value: input.text.toLowerCase(), boost: 4 } },
                },
              ],
              minimum_should_match: 1,
            },
          },
        ];
  const body: Record<string, unknown> = {
    size: pageSize(input),
    track_total_hits: true,
    _source: orderFields,
    query: {
      bool: {
        must: [
          ...must,
          ...queryStringClause(input.query, [
            'customerName^3',
            'customerEmail^2',
            'itemNames',
            'orderId',
          ]),
        ],
        filter,
        must_not: [notDeleted],
      },
    },
    sort: sortSpec,
    aggs: {
      statuses: { terms: { field: 'status', size: 10 } },
      daily: { date_histogram: { field: 'createdAt', calendar_interval: '1d', min_doc_count: 1 } },
    },
  };
  if (input.cursor !== undefined)
    body.search_after = decodeCursor(input.cursor, sort, sortSpec.length);
  return { index: searchIndexNames(options.prefix).orders.read, body };
};

/**
 * Builds the search body for users: text over name and email, or everyone by name.
 *
 * @example
 * buildSearchUsersRequest({ text: 'ada lovelace' })
 */
export const buildSearchUsersRequest = (
  rawInput: SearchUsersInput,
  options: SearchOptions = {},
): SearchRequest => {
  const input = parse(searchUsersInputSchema, rawInput);
  const sortName = matchesWords(input) ? 'relevance' : 'name';
  const sortSpec = !matchesWords(input)
    ? [{ 'name.keyword': { order: 'asc' } }, { userId: { order: 'asc' } }]
    : [{ _score: { order: 'desc' } }, { userId: { order: 'asc' } }];
  const must =
    input.text === undefined
      ? []
      : [
          {
            bool: {
              should: [
                {
                  multi_match: { query: input.text, fields: ['name^2', 'email'], operator: 'and' },
                },
                { term: { 'email.keyword': { value: input.text.toLowerCase(), boost: 4 } } },
                { term: { userId: { value: input.text, boost: 4 } } },
              ],
              minimum_should_match: 1,
            },
          },
        ];
  const body: Record<string, unknown> = {
    size: pageSize(input),
    track_total_hits: true,
    _source: ['userId', 'name', 'email', 'createdAt'],
    query: {
      bool: {
        must: [...must, ...queryStringClause(input.query, ['name^2', 'email', 'userId'])],
        must_not: [notDeleted],
      },
    },
    sort: sortSpec,
  };
  if (input.cursor !== undefined)
    body.search_after = decodeCursor(input.cursor, sortName, sortSpec.length);
  return { index: searchIndexNames(options.prefix).users.read, body };
};

/** One order found. */
export interface OrderHit extends Omit<OrderDocument, 'status' | 'revs' | 'deleted' | 'version'> {
  readonly status: OrderStatus;
  /** Relevance; `null` unless sorted by relevance. */
  readonly score: number | null;
}

/** A page of orders. */
export interface SearchOrdersResult {
  readonly hits: OrderHit[];
  /** Every matching order, not just this page. */
  readonly total: number;
  /** Matching orders per status. */
  readonly statuses: Partial<Record<OrderStatus, number>>;
  /** Matching orders per UTC day (`YYYY-MM-DD`), days without orders left out. */
  readonly daily: { readonly date: string; readonly count: number }[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  readonly cursor?: string;
}

/** One user found. */
export interface UserHit {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: string;
  readonly score: number | null;
}

/** A page of users. */
export interface SearchUsersResult {
  readonly hits: UserHit[];
  readonly total: number;
  readonly cursor?: string;
}

interface RawHit {
  _source?: Record<string, unknown>;
  _score?: number | null;
  sort?: SortValue[];
}

interface RawResponse {
  hits?: { total?: number | { value?: number }; hits?: RawHit[] };
  aggregations?: {
    statuses?: { buckets?: { key: string; doc_count: number }[] };
    daily?: { buckets?: { key: number; key_as_string?: string; doc_count: number }[] };
  };
}

const totalOf = (raw: RawResponse): number => {
  const total = raw.hits?.total;
  return typeof total === 'number' ? total : (total?.value ?? 0);
};

const nextCursor = (raw: RawResponse, sort: string, size: number): string | undefined => {
  const hits = raw.hits?.hits ?? [];
  const last = hits[hits.length - 1];
  return hits.length === size && last?.sort ? encodeCursor(sort, last.sort) : undefined;
};

/**
 * Turns an orders search response into typed hits, facets and the next cursor.
 *
 * @example
 * parseSearchOrdersResponse({ text: 'ada' }, response.body)
 */
export const parseSearchOrdersResponse = (
  rawInput: SearchOrdersInput,
  raw: unknown,
): SearchOrdersResult => {
  const input = parse(searchOrdersInputSchema, rawInput);
  const body = raw as RawResponse;
  const sort = input.sort ?? (matchesWords(input) ? OrderSort.relevance : OrderSort.newest);
  const hits = (body.hits?.hits ?? []).map((hit): OrderHit => {
    const source = hit._source ?? {};
    return {
      ...(source as unknown as Omit<OrderHit, 'score'>),
      score: typeof hit._score === 'number' ? hit._score : null,
    };
  });
  const statuses: Partial<Record<OrderStatus, number>> = {};
  for (const bucket of body.aggregations?.statuses?.buckets ?? [])
    statuses[bucket.key as OrderStatus] = bucket.doc_count;
  const daily = (body.aggregations?.daily?.buckets ?? []).map((bucket) => ({
    date: new Date(bucket.key).toISOString().slice(0, 10),
    count: bucket.doc_count,
  }));
  const cursorOut = nextCursor(body, sort, pageSize(input));
  return {
    hits,
    total: totalOf(body),
    statuses,
    daily,
    ...(cursorOut === undefined ? {} : { cursor: cursorOut }),
  };
};

interface RefusedQueryBody {
  error?: { type?: string; root_cause?: { type?: string; reason?: string }[] };
}

/**
 * The {@link InvalidSearchQueryError} for a query OpenSearch could not parse: it answers 400
 * `search_phase_execution_exception` with a `query_shard_exception` root cause.
 */
const queryRefused = (error: unknown): InvalidSearchQueryError | undefined => {
  const meta = (error as { meta?: { statusCode?: number; body?: RefusedQueryBody } }).meta;
  const cause = meta?.body?.error?.root_cause?.find(
    (root) => root.type === 'query_shard_exception',
  );
  if (meta?.statusCode !== 400 || !cause) return undefined;
  return new InvalidSearchQueryError(
    [{ path: 'query', message: `is not valid query syntax (${cause.reason ?? 'unparsable'})` }],
    { cause: error },
  );
};

/**
 * Searches orders. Bad input throws {@link InvalidSearchQueryError} before any request.
 *
 * @example
 * const page = await searchOrders(client, { text: 'ada', status: ['paid', 'shipped'], sort: 'newest' });
 * const next = page.cursor ? await searchOrders(client, { text: 'ada', status: ['paid', 'shipped'], sort: 'newest', cursor: page.cursor }) : undefined;
 */
export const searchOrders = async (
  client: QuerySearchClient,
  input: SearchOrdersInput,
  options: SearchOptions = {},
): Promise<SearchOrdersResult> => {
  const request = buildSearchOrdersRequest(input, options);
  try {
    const response = await client.search({ index: request.index, body: request.body as never });
    return parseSearchOrdersResponse(input, response.body);
  } catch (error) {
    throw queryRefused(error) ?? requestFailed('search orders', error);
  }
};

/**
 * Searches users by name or email.
 *
 * @example
 * const { hits } = await searchUsers(client, { text: 'lovelace' });
 */
export const searchUsers = async (
  client: QuerySearchClient,
  rawInput: SearchUsersInput,
  options: SearchOptions = {},
): Promise<SearchUsersResult> => {
  const request = buildSearchUsersRequest(rawInput, options);
  const input = parse(searchUsersInputSchema, rawInput);
  let raw: RawResponse;
  try {
    raw = (await client.search({ index: request.index, body: request.body as never }))
      .body as RawResponse;
  } catch (error) {
    throw queryRefused(error) ?? requestFailed('search users', error);
  }
  const hits = (raw.hits?.hits ?? []).map(
    (hit): UserHit => ({
      ...(hit._source as unknown as Omit<UserHit, 'score'>),
      score: typeof hit._score === 'number' ? hit._score : null,
    }),
  );
  const cursorOut = nextCursor(raw, matchesWords(input) ? 'relevance' : 'name', pageSize(input));
  return { hits, total: totalOf(raw), ...(cursorOut === undefined ? {} : { cursor: cursorOut }) };
};
