import { describe, expect, it } from 'vitest';
import { buildRestorePutParams, latestPerItem } from '../src/restore.js';
import type { ArchiveRecord } from '../src/types.js';

const archived = (
  overrides: Partial<ArchiveRecord> = {},
  rev: number | null = 1_000,
): ArchiveRecord => ({
  eventID: 'e1',
  sequenceNumber: '100',
  tableName: 'orders',
  entityType: 'Session',
  keys: { PK: 'SESSION#s1', SK: 'METADATA' },
  expiresAt: '2026-11-20T09:00:00.000Z',
  removedAt: '2026-11-20T10:00:00.000Z',
  image: {
    PK: 'SESSION#s1',
    SK: 'METADATA',
    ttl: 1_790_000_000,
    updatedAt: '2026-01-01T00:00:00.000Z',
    big: { $number: '123456789012345678901' },
    ...(rev === null ? {} : { rev }),
  },
  ...overrides,
});

const now = new Date('2026-11-21T00:00:00.000Z');

describe('restore requests', () => {
  it('writes only when no item has the key or the one there has a lower rev', () => {
    const params = buildRestorePutParams(archived(), { tableName: 'orders', now });

    expect(params.ConditionExpression).toBe('attribute_not_exists(#pk) OR #rev < :archivedRev');
    expect(params.ExpressionAttributeNames).toEqual({ '#pk': 'PK', '#rev': 'rev' });
    expect(params.ExpressionAttributeValues).toEqual({ ':archivedRev': { N: '1000' } });
  });

  it('gives the item a fresh rev, updatedAt and a ttl one day ahead by default', () => {
    const { Item } = buildRestorePutParams(archived(), { tableName: 'orders', now });

    expect(Item?.rev).toEqual({ N: String(now.getTime() * 1000) });
    expect(Item?.updatedAt).toEqual({ S: now.toISOString() });
    expect(Item?.ttl).toEqual({ N: String(now.getTime() / 1000 + 86_400) });
    expect(Item?.big).toEqual({ N: '123456789012345678901' });
  });

  it('keeps the rev above the archived one even when the clock is behind it', () => {
    const ahead = now.getTime() * 1000 + 50;

    const { Item } = buildRestorePutParams(archived({}, ahead), {
      tableName: 'orders',
      now,
      ttlSeconds: 60,
    });

    expect(Item?.rev).toEqual({ N: String(ahead + 1) });
    expect(Item?.ttl).toEqual({ N: String(now.getTime() / 1000 + 60) });
  });

  it('requires an empty key when the archived item carries no rev', () => {
    const params = buildRestorePutParams(archived({}, null), { tableName: 'orders', now });

    expect(params.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(params.ExpressionAttributeValues).toBeUndefined();
  });

  it('restores the latest life of an item that expired more than once', () => {
    const older = archived({ eventID: 'old' }, 1_000);
    const newer = archived({ eventID: 'new', removedAt: '2026-11-19T00:00:00.000Z' }, 2_000);
    const other = archived({ eventID: 'other', keys: { PK: 'SESSION#s2', SK: 'METADATA' } });

    const chosen = latestPerItem([newer, older, other]);

    expect(chosen.map((record) => record.eventID).sort()).toEqual(['new', 'other']);
  });
});
