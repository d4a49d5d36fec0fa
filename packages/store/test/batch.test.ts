import { unmarshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_WRITE_LIMIT, buildBatchPutParams } from '../src/batch.js';
import { BATCH_GET_LIMIT, buildBatchGetParams } from '../src/batch-get.js';
import { ItemTooLargeError, ValidationError } from '../src/errors.js';
import { backoffDelayMs, chunk } from '../src/retry.js';

const now = new Date('2024-05-01T10:00:00.000Z');
const item = (index: number) => ({
  PK: `PRODUCT#p${index}`,
  SK: 'METADATA',
  entityType: 'Product',
});

describe('chunk', () => {
  it('keeps every element, in order, in chunks no larger than asked', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 30 }), (elements, size) => {
        const chunks = chunk(elements, size);
        expect(chunks.flat()).toEqual(elements);
        expect(chunks.every((part) => part.length >= 1 && part.length <= size)).toBe(true);
      }),
    );
  });
});

describe('backoffDelayMs', () => {
  it('stays below a ceiling that doubles per attempt up to the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (attempt, random) => {
          const delay = backoffDelayMs(attempt, {
            baseDelayMs: 50,
            maxDelayMs: 2000,
            random: () => random,
          });
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThan(Math.min(2000, 50 * 2 ** (attempt - 1)));
        },
      ),
    );
  });

  it('spreads retries with jitter', () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(3, { ...options, random: () => 0 })).toBe(0);
    expect(backoffDelayMs(3, { ...options, random: () => 0.5 })).toBe(200);
    expect(backoffDelayMs(10, { ...options, random: () => 0.5 })).toBe(500);
  });
});

describe('buildBatchPutParams', () => {
  it('chunks at 25 and stamps audit attributes with a revision above the one carried', () => {
    const requests = buildBatchPutParams(
      't',
      [...Array.from({ length: 51 }, (_, index) => item(index))],
      now,
    );

    expect(requests.map((request) => request.RequestItems?.t?.length)).toEqual([
      BATCH_WRITE_LIMIT,
      BATCH_WRITE_LIMIT,
      1,
    ]);
    expect(unmarshall(requests[0]?.RequestItems?.t?.[0]?.PutRequest?.Item ?? {})).toEqual({
      ...item(0),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      rev: now.getTime() * 1000,
    });
    const carried = buildBatchPutParams(
      't',
      [{ ...item(0), rev: now.getTime() * 1000 + 5, createdAt: '2020-01-01T00:00:00.000Z' }],
      now,
    );
    expect(unmarshall(carried[0]?.RequestItems?.t?.[0]?.PutRequest?.Item ?? {})).toMatchObject({
      rev: now.getTime() * 1000 + 6,
      createdAt: '2020-01-01T00:00:00.000Z',
    });
  });

  it('refuses the whole batch for a duplicate key, a missing key or entity type, or an item over 400 KB', () => {
    expect(() => buildBatchPutParams('t', [item(1), item(1)], now)).toThrow(ValidationError);
    expect(() => buildBatchPutParams('t', [{ PK: 'X', SK: 'Y' } as never], now)).toThrow(
      expect.objectContaining({ field: '0.entityType' }),
    );
    expect(() =>
      buildBatchPutParams('t', [item(1), { ...item(2), padding: 'x'.repeat(400 * 1024) }], now),
    ).toThrow(ItemTooLargeError);
  });
});

describe('buildBatchGetParams', () => {
  it('chunks at 100 and drops duplicate keys', () => {
    const keys = Array.from({ length: 150 }, (_, index) => ({ PK: `K${index % 120}`, SK: 'S' }));

    const requests = buildBatchGetParams('t', keys, true);

    expect(requests.map((request) => request.RequestItems?.t?.Keys?.length)).toEqual([
      BATCH_GET_LIMIT,
      20,
    ]);
    expect(requests[0]?.RequestItems?.t?.ConsistentRead).toBe(true);
    expect(requests[0]?.RequestItems?.t?.Keys?.[0]).toEqual({ PK: { S: 'K0' }, SK: { S: 'S' } });
  });
});
