import { describe, expect, it } from 'vitest';
import { IndexState } from '../src/engine.js';
import { evaluate, parseQuery } from '../src/query.js';
import { encodeLength, idf, LENGTH_TABLE } from '../src/segment.js';

const newIndex = (mappings: unknown = {}) =>
  new IndexState(
    'test',
    { mappings },
    { now: () => 0, defaultGcDeletesMs: 60_000, journal: () => undefined },
  );

const scores = (index: IndexState, query: unknown): Record<string, number> => {
  const set = evaluate(parseQuery(query), { index, segment: index.segment, now: 0 }, true);
  const out: Record<string, number> = {};
  for (let d = 0; d < set.match.length; d++)
    if (set.match[d]) out[index.segment.ids[d]!] = Math.fround(set.scores![d]!);
  return out;
};

describe('BM25 as OpenSearch computes it', () => {
  it('uses idf = ln(1 + (N - n + 0.5) / (n + 0.5))', () => {
    expect(idf(10, 1)).toBeCloseTo(Math.log(1 + 9.5 / 1.5), 12);
    expect(idf(2, 2)).toBeCloseTo(Math.log(1.2), 12);
  });

  it("stores field lengths in Lucene's one-byte norm: exact up to 23, lossy above", () => {
    for (let length = 0; length < 24; length++)
      expect(LENGTH_TABLE[encodeLength(length)]).toBe(length);
    expect(LENGTH_TABLE[encodeLength(100)]).toBeLessThanOrEqual(100);
    expect(LENGTH_TABLE[encodeLength(100)]).toBeGreaterThan(80);
  });

  it('scores a term with k1 = 1.2, b = 0.75 and the length norm', () => {
    const index = newIndex({ properties: { name: { type: 'text' } } });
    index.index('short', { name: 'blue shirt' }, {});
    index.index('long', { name: 'blue shirt with long sleeves' }, {});
    index.refresh();
    const weight = idf(2, 2);
    const avgdl = (2 + 5) / 2;
    const expected = (dl: number) =>
      Math.fround((weight * 1) / (1 + 1.2 * (1 - 0.75 + (0.75 * dl) / avgdl)));
    const result = scores(index, { match: { name: 'shirt' } });
    expect(result.short).toBeCloseTo(expected(2), 6);
    expect(result.long).toBeCloseTo(expected(5), 6);
    expect(result.short!).toBeGreaterThan(result.long!);
  });

  it('takes the best field plus tie_breaker times the others in multi_match best_fields, with boosts', () => {
    const index = newIndex({
      properties: { name: { type: 'text' }, description: { type: 'text' } },
    });
    index.index('1', { name: 'shirt', description: 'a shirt' }, {});
    index.index('2', { name: 'socks', description: 'not a shirt' }, {});
    index.refresh();
    const name = scores(index, { match: { name: 'shirt' } });
    const description = scores(index, { match: { description: 'shirt' } });
    const combined = scores(index, {
      multi_match: { query: 'shirt', fields: ['name^3', 'description'], tie_breaker: 0.5 },
    });
    expect(combined['1']).toBeCloseTo(3 * name['1']! + 0.5 * description['1']!, 5);
    expect(combined['2']).toBeCloseTo(description['2']!, 5);
  });
});

describe('query evaluation', () => {
  const orders = () => {
    const index = newIndex({
      properties: {
        status: { type: 'keyword' },
        amount: { type: 'long' },
        createdAt: { type: 'date' },
        tags: { type: 'keyword' },
        note: { type: 'text' },
      },
    });
    index.index(
      'a',
      {
        status: 'paid',
        amount: 10,
        createdAt: '2024-01-01',
        tags: ['x', 'y'],
        note: 'quick brown fox',
      },
      {},
    );
    index.index(
      'b',
      { status: 'paid', amount: 20, createdAt: '2024-02-01T10:00:00Z', tags: ['y'] },
      {},
    );
    index.index(
      'c',
      { status: 'new', amount: 30, createdAt: 1709251200000, note: 'brown dog' },
      {},
    );
    index.refresh();
    return index;
  };
  const matches = (index: IndexState, query: unknown) => Object.keys(scores(index, query)).sort();

  it('matches numbers and dates by range, with date strings, epoch millis and date math', () => {
    const index = orders();
    expect(matches(index, { range: { amount: { gt: 10, lte: 30 } } })).toEqual(['b', 'c']);
    expect(
      matches(index, { range: { createdAt: { gte: '2024-02-01', lt: '2024-03-01' } } }),
    ).toEqual(['b']);
    expect(
      matches(index, { range: { createdAt: { gte: '2024-02-01||/M', lte: '2024-02-01||/M' } } }),
    ).toEqual(['b']);
    expect(matches(index, { range: { createdAt: { gte: 1709251200000 } } })).toEqual(['c']);
  });

  it('matches terms, exists, prefix and ids', () => {
    const index = orders();
    expect(matches(index, { terms: { tags: ['x', 'z'] } })).toEqual(['a']);
    expect(matches(index, { exists: { field: 'note' } })).toEqual(['a', 'c']);
    expect(matches(index, { prefix: { status: 'pa' } })).toEqual(['a', 'b']);
    expect(matches(index, { ids: { values: ['c', 'zz'] } })).toEqual(['c']);
  });

  // Percentages round down: 67% of 3 clauses is 2 (minimum_should_match reference).
  it('applies minimum_should_match to match and bool', () => {
    const index = orders();
    expect(
      matches(index, { match: { note: { query: 'brown fox cat', minimum_should_match: 2 } } }),
    ).toEqual(['a']);
    expect(
      matches(index, {
        bool: {
          should: [{ term: { status: 'paid' } }, { term: { tags: 'y' } }, { term: { amount: 30 } }],
          minimum_should_match: '67%',
        },
      }),
    ).toEqual(['a', 'b']);
  });

  it('hides deleted and overwritten documents after a refresh', () => {
    const index = orders();
    index.delete('a', {});
    index.index('b', { status: 'new', amount: 20 }, {});
    expect(matches(index, { term: { status: 'paid' } })).toEqual(['a', 'b']);
    index.refresh();
    expect(matches(index, { term: { status: 'paid' } })).toEqual([]);
    expect(matches(index, { term: { status: 'new' } })).toEqual(['b', 'c']);
  });

  it('refuses unknown and unsupported queries', () => {
    expect(() => parseQuery({ nope: {} })).toThrow(/unknown query \[nope\]/);
    expect(() => parseQuery({ wildcard: { a: 'b*' } })).toThrow(/wildcard/);
    expect(() => parseQuery({ match: { a: { query: 'x', fuzziness: 'AUTO' } } })).toThrow(
      /fuzziness/,
    );
  });
});
