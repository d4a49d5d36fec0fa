import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecords } from '../src/codec.js';
import { ArchiveFormatError, ArchiveRecordError } from '../src/errors.js';
import { isTtlExpiry, tableNameFromStreamArn, toArchiveRecord } from '../src/record.js';
import type { ArchivableChange } from '../src/types.js';

const change = (overrides: Partial<ArchivableChange> = {}): ArchivableChange => ({
  kind: 'remove',
  keys: { PK: 'SESSION#s1', SK: 'METADATA' },
  entityType: 'Session',
  eventID: 'e1',
  sequenceNumber: '4000000000000000000100',
  approximateCreationTime: Date.parse('2026-11-20T10:00:00.000Z'),
  expiredByTtl: true,
  ...overrides,
});

const oldImage = {
  PK: { S: 'SESSION#s1' },
  SK: { S: 'METADATA' },
  entityType: { S: 'Session' },
  ttl: { N: '1790000000' },
  visits: { N: '123456789012345678901' },
};

describe('archive records', () => {
  it('holds the image, keys, entity, expiry, removal time, event id, sequence number and table', () => {
    const record = toArchiveRecord(change(), oldImage, { tableName: 'orders' });

    expect(record).toEqual({
      eventID: 'e1',
      sequenceNumber: '4000000000000000000100',
      tableName: 'orders',
      entityType: 'Session',
      keys: { PK: 'SESSION#s1', SK: 'METADATA' },
      expiresAt: '2026-09-21T14:13:20.000Z',
      removedAt: '2026-11-20T10:00:00.000Z',
      image: {
        PK: 'SESSION#s1',
        SK: 'METADATA',
        entityType: 'Session',
        ttl: 1_790_000_000,
        visits: { $number: '123456789012345678901' },
      },
    });
  });

  it('sets expiresAt to null when the item had no usable ttl', () => {
    const { ttl: _ttl, ...withoutTtl } = oldImage;

    expect(toArchiveRecord(change(), withoutTtl, { tableName: 't' }).expiresAt).toBeNull();
    expect(
      toArchiveRecord(change(), { ...oldImage, ttl: { N: '1e300' } }, { tableName: 't' }).expiresAt,
    ).toBeNull();
  });

  it('refuses a record without an old image rather than archiving an empty line', () => {
    expect(() => toArchiveRecord(change(), undefined, { tableName: 't' })).toThrow(
      ArchiveRecordError,
    );
  });

  it('selects only removes made by the TTL process', () => {
    expect(isTtlExpiry(change())).toBe(true);
    expect(isTtlExpiry(change({ expiredByTtl: false }))).toBe(false);
    expect(isTtlExpiry(change({ kind: 'modify' }))).toBe(false);
  });

  it('reads the table name from a stream ARN', () => {
    expect(
      tableNameFromStreamArn(
        'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-prod/stream/2024-05-01T00:00:00.000',
      ),
    ).toBe('orders-prod');
    expect(tableNameFromStreamArn('arn:aws:sqs:eu-west-1:1:queue')).toBeUndefined();
    expect(tableNameFromStreamArn(undefined)).toBeUndefined();
  });

  it('round-trips records through gzip JSON Lines and refuses foreign content', () => {
    const record = toArchiveRecord(change(), oldImage, { tableName: 'orders' });

    expect(decodeRecords('k', encodeRecords([record, record]))).toEqual([record, record]);
    expect(() => decodeRecords('k', Buffer.from('plain'))).toThrow(ArchiveFormatError);
    expect(() => decodeRecords('k', gzipSync('{"eventID":1}\n'))).toThrow(ArchiveFormatError);
  });
});
