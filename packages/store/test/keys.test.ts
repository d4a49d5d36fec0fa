import { marshall } from '@aws-sdk/util-dynamodb';
import { emailSchema, keys, parseKey } from '@pipeline/model';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import { InvalidCursorError } from '../src/errors.js';

const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const timestampArb = fc
  .date({
    min: new Date('2000-01-01T00:00:00.000Z'),
    max: new Date('2200-01-01T00:00:00.000Z'),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString());
const emailArb = fc
  .emailAddress()
  .filter((email) => emailSchema.safeParse(email).success)
  .map((email) => emailSchema.parse(email));

describe('keys round-trip through parseKey', () => {
  it('recovers every entity and its ids from the keys the store writes', () => {
    fc.assert(
      fc.property(idArb, idArb, timestampArb, emailArb, (first, second, at, email) => {
        expect(parseKey(keys.user(first))).toEqual({ entityType: 'User', userId: first });
        expect(parseKey(keys.emailGuard(email))).toEqual({ entityType: 'EmailGuard', email });
        expect(parseKey(keys.order(first, at, second))).toEqual({
          entityType: 'Order',
          userId: first,
          createdAt: at,
          orderId: second,
        });
        expect(parseKey(keys.orderRef(first))).toEqual({ entityType: 'OrderRef', orderId: first });
        expect(parseKey(keys.orderItem(first, second))).toEqual({
          entityType: 'OrderItem',
          orderId: first,
          productId: second,
        });
        expect(parseKey(keys.product(first))).toEqual({ entityType: 'Product', productId: first });
        expect(parseKey(keys.session(first))).toEqual({ entityType: 'Session', sessionId: first });
        expect(parseKey(keys.productView(first, at, second))).toEqual({
          entityType: 'ProductView',
          productId: first,
          at,
          viewId: second,
        });
      }),
    );
  });

  it('sorts orders of one user by creation time whatever their ids', () => {
    fc.assert(
      fc.property(idArb, idArb, timestampArb, timestampArb, (a, b, earlier, later) => {
        fc.pre(earlier < later);
        expect(keys.order('u', earlier, a).SK < keys.order('u', later, b).SK).toBe(true);
      }),
    );
  });
});

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
