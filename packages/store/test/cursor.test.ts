import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import { InvalidCursorError } from '../src/errors.js';

describe('cursors', () => {
  const keyArb = fc.record({
    PK: fc.string({ minLength: 1 }),
    SK: fc.string({ minLength: 1 }),
    GSI1PK: fc.string({ minLength: 1 }),
    GSI1SK: fc.string({ minLength: 1 }),
  });

  it('round-trip any key, whatever characters it holds', () => {
    fc.assert(
      fc.property(keyArb, (key) => {
        const cursor = encodeCursor(marshall(key));
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        const decoded = decodeCursor(cursor!, {
          requiredKeys: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
          partition: { name: 'GSI1PK', value: key.GSI1PK },
        });
        expect(decoded).toEqual(marshall(key));
      }),
    );
  });

  it('is absent at the last page', () => {
    expect(encodeCursor(undefined)).toBeUndefined();
    expect(encodeCursor({})).toBeUndefined();
  });

  it('refuses anything that is not a cursor the store issued for this list', () => {
    const options = {
      requiredKeys: ['PK', 'SK'] as const,
      partition: { name: 'PK' as const, value: 'USER#u1' },
    };
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const bad = [
      'not base64!',
      Buffer.from('{not json').toString('base64url'),
      encode([1, 2]),
      encode({ PK: 'USER#u1' }),
      encode({ PK: 'USER#u1', SK: 5 }),
      encode({ PK: 'USER#u1', SK: 'PROFILE', GSI1PK: 'X' }),
      encode({ PK: 'USER#u1', SK: 'PROFILE', extra: 'x' }),
      encode({ PK: 'USER#u2', SK: 'ORDER#x' }),
    ];

    for (const cursor of bad) {
      expect(() => decodeCursor(cursor, options), cursor).toThrow(InvalidCursorError);
    }
  });
});
