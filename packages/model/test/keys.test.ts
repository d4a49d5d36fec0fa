import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityType } from '../src/entity-types.js';
import { entityKeys, FLAGGED_PARTITION, keys, orderSk, parseKey } from '../src/keys.js';
import { emailSchema } from '../src/schemas.js';

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

/** A value of the kind each placeholder holds. */
const placeholderValues: Record<string, fc.Arbitrary<string>> = {
  email: emailArb,
  createdAt: timestampArb,
  at: timestampArb,
};

/** A declaration's placeholders, in the order its builder takes them. */
const placeholdersOf = (declaration: { PK: string; SK: string }): string[] => [
  ...new Set([...`${declaration.PK}#${declaration.SK}`.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)),
];

const declarations = Object.entries(entityKeys);

describe('entity keys, built and parsed from one declaration', () => {
  it('declare every entity type exactly once', () => {
    expect(
      Object.values(entityKeys)
        .map((declaration) => declaration.entityType)
        .sort(),
    ).toEqual(Object.values(EntityType).sort());
  });

  it.each(declarations)(
    'parse the keys of %s back to the entity and its ids',
    (name, declaration) => {
      const names = placeholdersOf(declaration);
      const build = keys[name as keyof typeof entityKeys] as (...values: string[]) => {
        PK: string;
        SK: string;
      };
      fc.assert(
        fc.property(
          fc.tuple(...names.map((placeholder) => placeholderValues[placeholder] ?? idArb)),
          (values) => {
            const key = build(...values);
            expect(parseKey(key)).toEqual({
              entityType: declaration.entityType,
              ...Object.fromEntries(
                names.map((placeholder, index) => [placeholder, values[index]]),
              ),
            });
          },
        ),
      );
    },
  );

  it('build the keys the table holds', () => {
    expect(keys.user('u1')).toEqual({ PK: 'USER#u1', SK: 'PROFILE' });
    expect(keys.order('u1', '2026-12-03T10:00:00.000Z', 'o1')).toEqual({
      PK: 'USER#u1',
      SK: 'ORDER#2026-12-03T10:00:00.000Z#o1',
    });
    expect(keys.productView('p1', '2026-12-03T10:00:00.000Z', 'v1')).toEqual({
      PK: 'PRODUCT#p1',
      SK: 'VIEW#2026-12-03T10:00:00.000Z#v1',
    });
    expect(orderSk('2026-12-03T10:00:00.000Z', 'o1')).toBe(
      keys.order('u1', '2026-12-03T10:00:00.000Z', 'o1').SK,
    );
  });

  it('build the index keys each entity projects', () => {
    expect(keys.userByEmail('ada@example.com')).toEqual({
      GSI1PK: 'EMAIL#ada@example.com',
      GSI1SK: 'PROFILE',
    });
    expect(keys.orderByStatus('paid', '2026-12-03T10:00:00.000Z', 'o1')).toEqual({
      GSI1PK: 'STATUS#paid',
      GSI1SK: 'ORDER#2026-12-03T10:00:00.000Z#o1',
    });
    expect(keys.flaggedOrder('2026-12-03T10:00:00.000Z', 'o1')).toEqual({
      GSI2PK: FLAGGED_PARTITION,
      GSI2SK: 'ORDER#2026-12-03T10:00:00.000Z#o1',
    });
    expect(keys.productByCategory('books', 'p1')).toEqual({
      GSI1PK: 'CAT#books',
      GSI1SK: 'PRODUCT#p1',
    });
  });

  it.each([
    ['an unknown prefix', { PK: 'TENANT#t1', SK: 'PROFILE' }],
    ['a sort key of no entity under its prefix', { PK: 'USER#u1', SK: 'SETTINGS' }],
    ['an empty id', { PK: 'USER#', SK: 'PROFILE' }],
    ['an extra part', { PK: 'USER#u1#x', SK: 'PROFILE' }],
    ['a missing part', { PK: 'USER#u1', SK: 'ORDER#2026-12-03T10:00:00.000Z' }],
    ['a key that is not a string', { PK: 5, SK: 'PROFILE' }],
    ['no sort key', { PK: 'USER#u1' }],
  ])('refuse %s', (_, key) => {
    expect(parseKey(key)).toBeUndefined();
  });

  it("sort a user's orders by creation time, whatever their ids", () => {
    fc.assert(
      fc.property(idArb, idArb, timestampArb, timestampArb, (a, b, earlier, later) => {
        fc.pre(earlier < later);
        expect(keys.order('u', earlier, a).SK < keys.order('u', later, b).SK).toBe(true);
      }),
    );
  });
});
