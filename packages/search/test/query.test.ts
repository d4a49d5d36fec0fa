import { describe, expect, it } from 'vitest';
import { InvalidSearchQueryError } from '../src/index.js';
import {
  buildSearchOrdersRequest,
  buildSearchUsersRequest,
  encodeCursor,
  parseSearchOrdersResponse,
} from '../src/query.js';

const issuesOf = (act: () => unknown) => {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSearchQueryError);
    return (error as InvalidSearchQueryError).issues.map((issue) => issue.path);
  }
  throw new Error('expected an InvalidSearchQueryError');
};

describe('buildSearchOrdersRequest', () => {
  it('reads the orders alias, newest first, excluding markers, with facets, when given nothing', () => {
    const request = buildSearchOrdersRequest({}, { prefix: 'dev-' });
    expect(request.index).toBe('dev-orders');
    expect(request.body).toMatchObject({
      size: 20,
      track_total_hits: true,
      query: { bool: { must: [], filter: [], must_not: [{ term: { deleted: true } }] } },
      sort: [{ createdAt: { order: 'desc' } }, { orderId: { order: 'asc' } }],
      aggs: {
        statuses: { terms: { field: 'status', size: 10 } },
        daily: {
          date_histogram: { field: 'createdAt', calendar_interval: '1d', min_doc_count: 1 },
        },
      },
    });
    expect(request.body.search_after).toBeUndefined();
  });

  it('matches text over name, email and item names, an exact order id and an exact email, by relevance', () => {
    const { body } = buildSearchOrdersRequest({ text: '  Ada@Example.com ' });
    expect(body.query).toMatchObject({
      bool: {
        must: [
          {
            bool: {
              should: [
                {
                  multi_match: {
                    query: 'Ada@Example.com',
                    fields: ['customerName^3', 'customerEmail^2', 'itemNames'],
                    operator: 'and',
                  },
                },
                { term: { orderId: { value: 'Ada@Example.com', boost: 5 } } },
                { term: { 'customerEmail.keyword': { value: 'ada@example.com', boost: 4 } } },
              ],
              minimum_should_match: 1,
            },
          },
        ],
      },
    });
    expect(body.sort).toEqual([
      { _score: { order: 'desc' } },
      { createdAt: { order: 'desc' } },
      { orderId: { order: 'asc' } },
    ]);
  });

  it('turns every filter into a filter clause', () => {
    const { body } = buildSearchOrdersRequest({
      status: 'paid',
      userId: 'u1',
      createdFrom: '2024-05-01T00:00:00.000Z',
      createdTo: '2024-05-31T23:59:59.999Z',
      minTotal: 100,
      maxTotal: 5000,
      currency: 'EUR',
    });
    expect((body.query as { bool: { filter: unknown[] } }).bool.filter).toEqual([
      { terms: { status: ['paid'] } },
      { term: { userId: 'u1' } },
      {
        range: { createdAt: { gte: '2024-05-01T00:00:00.000Z', lte: '2024-05-31T23:59:59.999Z' } },
      },
      { range: { 'total.amount': { gte: 100, lte: 5000 } } },
      { term: { 'total.currency': 'EUR' } },
    ]);
  });

  it('keeps open-ended ranges open', () => {
    const { body } = buildSearchOrdersRequest({
      status: ['paid', 'shipped'],
      maxTotal: 10,
      createdFrom: '2024-05-01T00:00:00Z',
    });
    expect((body.query as { bool: { filter: unknown[] } }).bool.filter).toEqual([
      { terms: { status: ['paid', 'shipped'] } },
      { range: { createdAt: { gte: '2024-05-01T00:00:00Z' } } },
      { range: { 'total.amount': { lte: 10 } } },
    ]);
  });

  it.each([
    ['oldest', [{ createdAt: { order: 'asc' } }, { orderId: { order: 'asc' } }]],
    [
      'total',
      [
        { 'total.amount': { order: 'desc' } },
        { createdAt: { order: 'desc' } },
        { orderId: { order: 'asc' } },
      ],
    ],
  ] as const)('sorts by %s with a unique tiebreak', (sort, expected) => {
    expect(buildSearchOrdersRequest({ sort }).body.sort).toEqual(expected);
  });

  it('passes a cursor of the same sort back as search_after', () => {
    const cursor = encodeCursor('total', [4200, 1714525200000, 'o5']);
    expect(buildSearchOrdersRequest({ sort: 'total', cursor }).body.search_after).toEqual([
      4200,
      1714525200000,
      'o5',
    ]);
  });

  it.each([
    [{ status: 'lost' }, ['status']],
    [{ userId: 'u#1' }, ['userId']],
    [{ createdFrom: 'yesterday' }, ['createdFrom']],
    [{ createdFrom: '2024-05-02T00:00:00Z', createdTo: '2024-05-01T00:00:00Z' }, ['createdTo']],
    [{ minTotal: 10, maxTotal: 5 }, ['maxTotal']],
    [{ minTotal: 1.5 }, ['minTotal']],
    [{ currency: 'euro' }, ['currency']],
    [{ sort: 'relevance' }, ['sort']],
    [{ sort: 'cheapest' }, ['sort']],
    [{ size: 0 }, ['size']],
    [{ size: 101 }, ['size']],
    [{ text: '   ' }, ['text']],
    [{ page: 2 }, ['']],
    [{ cursor: 'not-a-cursor' }, ['cursor']],
    [{ sort: 'total', cursor: encodeCursor('newest', [1, 'o1']) }, ['cursor']],
    [{ sort: 'newest', cursor: encodeCursor('newest', [1]) }, ['cursor']],
    [
      { sort: 'newest', cursor: Buffer.from('{"s":"newest","a":[{},"o1"]}').toString('base64url') },
      ['cursor'],
    ],
  ])('refuses %j with a typed error naming the field', (input, paths) => {
    expect(issuesOf(() => buildSearchOrdersRequest(input as never))).toEqual(paths);
  });

  it('carries the stable code search.invalidQuery', () => {
    expect(() => buildSearchOrdersRequest({ size: -1 })).toThrowError(
      expect.objectContaining({ code: 'search.invalidQuery', name: 'InvalidSearchQueryError' }),
    );
  });
});

describe('parseSearchOrdersResponse', () => {
  const hit = (orderId: string, sort: unknown[]) => ({
    _source: { orderId, userId: 'u1', status: 'paid', total: { amount: 1, currency: 'EUR' } },
    _score: null,
    sort,
  });

  it('returns typed hits, total, facets, days and a cursor when the page is full', () => {
    const result = parseSearchOrdersResponse(
      { size: 2 },
      {
        hits: { total: { value: 7 }, hits: [hit('o1', [2, 'o1']), hit('o2', [1, 'o2'])] },
        aggregations: {
          statuses: {
            buckets: [
              { key: 'paid', doc_count: 5 },
              { key: 'pending', doc_count: 2 },
            ],
          },
          daily: { buckets: [{ key: Date.UTC(2024, 4, 1), doc_count: 7 }] },
        },
      },
    );
    expect(result).toMatchObject({
      total: 7,
      statuses: { paid: 5, pending: 2 },
      daily: [{ date: '2024-05-01', count: 7 }],
      cursor: encodeCursor('newest', [1, 'o2']),
    });
    expect(result.hits.map((h) => [h.orderId, h.score])).toEqual([
      ['o1', null],
      ['o2', null],
    ]);
  });

  it('leaves the cursor out on a short last page', () => {
    const result = parseSearchOrdersResponse(
      { size: 2 },
      { hits: { total: { value: 1 }, hits: [hit('o1', [1, 'o1'])] } },
    );
    expect(result.cursor).toBeUndefined();
  });
});

describe('buildSearchUsersRequest', () => {
  it('matches text over name and email, and exact email or id, excluding markers', () => {
    const request = buildSearchUsersRequest({ text: 'Ada' }, { prefix: 'x-' });
    expect(request.index).toBe('x-users');
    expect(request.body).toMatchObject({
      query: {
        bool: {
          must: [
            {
              bool: {
                should: [
                  { multi_match: { query: 'Ada', fields: ['name^2', 'email'], operator: 'and' } },
                  { term: { 'email.keyword': { value: 'ada', boost: 4 } } },
                  { term: { userId: { value: 'Ada', boost: 4 } } },
                ],
              },
            },
          ],
          must_not: [{ term: { deleted: true } }],
        },
      },
      sort: [{ _score: { order: 'desc' } }, { userId: { order: 'asc' } }],
    });
  });

  it('lists everyone by name without text, and refuses unknown fields', () => {
    expect(buildSearchUsersRequest({}).body.sort).toEqual([
      { 'name.keyword': { order: 'asc' } },
      { userId: { order: 'asc' } },
    ]);
    expect(issuesOf(() => buildSearchUsersRequest({ email: 'a' } as never))).toEqual(['']);
  });
});
