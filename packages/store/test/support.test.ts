import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ItemTooLargeError } from '../src/errors.js';
import { toItem } from '../src/items.js';
import { epochSeconds, nextRev } from '../src/rev.js';
import { attributeValueSize, itemSize, MAX_ITEM_BYTES } from '../src/size.js';
import { cancellationReasons, conditionFailedAt } from '../src/transactions.js';

describe('nextRev', () => {
  it('is the clock in microseconds when the item is new or older than the clock', () => {
    expect(nextRev(new Date(1_700_000_000_000))).toBe(1_700_000_000_000_000);
    expect(nextRev(new Date(1_700_000_000_000), 5)).toBe(1_700_000_000_000_000);
  });

  it('always rises above the previous revision, even when the clock stands still or goes back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 0, max: 4_102_444_800_000_000 }),
        (ms, previous) => {
          const rev = nextRev(new Date(ms), previous);
          expect(rev).toBeGreaterThan(previous);
          expect(Number.isSafeInteger(rev)).toBe(true);
        },
      ),
    );
  });

  it('gives a re-created item a higher revision than its last life had, one millisecond later', () => {
    let rev = nextRev(new Date(1000));
    for (let write = 0; write < 999; write++) rev = nextRev(new Date(1000), rev);

    expect(nextRev(new Date(1001))).toBeGreaterThan(rev);
  });

  it('turns dates into epoch seconds for TTL', () => {
    expect(epochSeconds(new Date(1_700_000_000_999))).toBe(1_700_000_000);
  });
});

describe('item size', () => {
  it('counts names and values as DynamoDB does', () => {
    expect(attributeValueSize({ S: 'héllo' })).toBe(6);
    expect(attributeValueSize({ N: '12345' })).toBe(4);
    expect(attributeValueSize({ N: '-0.00100' })).toBe(2);
    expect(attributeValueSize({ BOOL: true })).toBe(1);
    expect(attributeValueSize({ NULL: true })).toBe(1);
    expect(attributeValueSize({ B: new Uint8Array(10) })).toBe(10);
    expect(attributeValueSize({ SS: ['ab', 'c'] })).toBe(3);
    expect(attributeValueSize({ L: [{ S: 'ab' }, { BOOL: false }] })).toBe(3 + 1 + 2 + 1 + 1);
    expect(attributeValueSize({ M: { ab: { S: 'cd' } } })).toBe(3 + 1 + 2 + 2);
    expect(itemSize({ PK: { S: 'USER#1' }, rev: { N: '10' } })).toBe(2 + 6 + 3 + 2);
  });

  it('rejects an item one byte over 400 KB and accepts one at the limit', () => {
    const base = { PK: 'K', SK: 'S', p: '' };
    const overhead = itemSize({ PK: { S: 'K' }, SK: { S: 'S' }, p: { S: '' } });
    const atLimit = { ...base, p: 'x'.repeat(MAX_ITEM_BYTES - overhead) };

    expect(() => toItem(atLimit)).not.toThrow();
    expect(() => toItem({ ...atLimit, p: `${atLimit.p}x` })).toThrow(ItemTooLargeError);
  });
});

describe('cancellation reasons', () => {
  it('reads per-action codes and the item that failed its condition', () => {
    const error = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: [
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Item: { rev: { N: '7' } } },
      ],
    });

    const reasons = cancellationReasons(error);

    expect(reasons).toEqual([
      { code: 'None', item: undefined },
      { code: 'ConditionalCheckFailed', item: { rev: 7 } },
    ]);
    expect(conditionFailedAt(reasons, 1)).toBe(true);
    expect(conditionFailedAt(reasons, 0)).toBe(false);
    expect(cancellationReasons(new Error('other'))).toBeUndefined();
  });
});
