import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizePrefix,
  objectName,
  parseObjectKey,
  partitionPrefix,
  planObjects,
} from '../src/layout.js';
import type { ArchiveRecord } from '../src/types.js';

const recordOf = (
  eventID: string,
  sequenceNumber: string,
  entityType: string,
  removedAt: string,
): ArchiveRecord => ({
  eventID,
  sequenceNumber,
  tableName: 'orders',
  entityType,
  keys: { PK: `K#${eventID}`, SK: 'METADATA' },
  expiresAt: null,
  removedAt,
  image: {},
});

describe('archive layout', () => {
  it('puts one object per entity and UTC day of removal under Hive-style partitions', () => {
    const records = [
      recordOf('a', '100', 'Session', '2026-11-20T23:59:59.000Z'),
      recordOf('b', '200', 'Session', '2026-11-21T00:00:00.000Z'),
      recordOf('c', '300', 'ProductView', '2026-11-20T10:00:00.000Z'),
      recordOf('d', '400', 'Session', '2026-11-20T01:00:00.000Z'),
    ];

    const objects = planObjects(records, '/archive/');

    expect(objects.map((object) => [object.entityType, object.dt, object.records.length])).toEqual([
      ['ProductView', '2026-11-20', 1],
      ['Session', '2026-11-20', 2],
      ['Session', '2026-11-21', 1],
    ]);
    expect(objects[1]!.key).toMatch(
      /^archive\/entity=Session\/dt=2026-11-20\/[0-9a-f]{32}\.jsonl\.gz$/,
    );
    expect(parseObjectKey(objects[1]!.key)).toEqual({ entityType: 'Session', dt: '2026-11-20' });
  });

  it('gives the same key and line order to the same records in any delivery order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.bigInt({ min: 10n ** 20n, max: 10n ** 21n }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.integer(),
        (sequences, seed) => {
          const records = sequences.map((sequence) =>
            recordOf(`e${sequence}`, sequence.toString(), 'Session', '2026-11-20T10:00:00.000Z'),
          );
          const shuffled = [...records].sort(
            (a, b) =>
              ((a.eventID.length * seed) % 7) - ((b.eventID.length * seed) % 7) ||
              (a.eventID < b.eventID ? 1 : -1),
          );
          const [first] = planObjects(records, 'p');
          const [second] = planObjects(shuffled, 'p');
          expect(second!.key).toBe(first!.key);
          expect(second!.records.map((record) => record.eventID)).toEqual(
            first!.records.map((record) => record.eventID),
          );
        },
      ),
    );
  });

  it('gives a bisected half of a batch a key of its own', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 2, maxLength: 20 }),
        (ids) => {
          const half = ids.slice(0, Math.floor(ids.length / 2));
          expect(objectName(half)).not.toBe(objectName(ids));
        },
      ),
    );
  });

  it('orders lines by sequence number numerically, not as text', () => {
    const [object] = planObjects(
      [
        recordOf('x', '1000', 'Session', '2026-11-20T10:00:00.000Z'),
        recordOf('y', '999', 'Session', '2026-11-20T10:00:00.000Z'),
      ],
      '',
    );

    expect(object!.records.map((record) => record.sequenceNumber)).toEqual(['999', '1000']);
    expect(object!.key.startsWith('entity=Session/dt=2026-11-20/')).toBe(true);
  });

  it('normalizes prefixes and builds partition prefixes for listing', () => {
    expect(normalizePrefix('//a/b//')).toBe('a/b');
    expect(partitionPrefix('', 'Session')).toBe('entity=Session/');
    expect(partitionPrefix('arc', 'Session', '2026-01-02')).toBe(
      'arc/entity=Session/dt=2026-01-02/',
    );
    expect(parseObjectKey('arc/entity=Session/dt=2026-01-02/notes.txt')).toBeUndefined();
  });
});
