import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { afterAll, describe, expect, it } from 'vitest';
import { toLambdaRecord } from '../src/lambda-event.js';
import { LocalTtlProcess } from '../src/ttl-process.js';

const streamArn =
  'arn:aws:dynamodb:ddblocal:000000000000:table/main/stream/2026-11-21T00:00:00.000';

const sdkRecord = (overrides: Partial<_Record>): _Record => ({
  eventID: 'e1',
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'ddblocal',
  dynamodb: {
    ApproximateCreationDateTime: new Date('2026-11-21T10:00:05.000Z'),
    Keys: { PK: { S: 'SESSION#s1' }, SK: { S: 'METADATA' } },
    OldImage: {
      PK: { S: 'SESSION#s1' },
      SK: { S: 'METADATA' },
      blob: { B: new Uint8Array([1, 2, 3]) },
      tags: { BS: [new Uint8Array([255])] },
      nested: { M: { inner: { L: [{ B: new Uint8Array([0]) }, { N: '12345678901234567890' }] } } },
    },
    NewImage: { PK: { S: 'SESSION#s1' }, SK: { S: 'METADATA' } },
    SequenceNumber: '4000000000000000000001',
    SizeBytes: 120,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
  ...overrides,
});

describe('toLambdaRecord', () => {
  it('gives the creation time in epoch seconds, binaries in base64 and the stream ARN', () => {
    const record = toLambdaRecord(sdkRecord({}), streamArn);
    expect(record.dynamodb?.ApproximateCreationDateTime).toBe(1795255205);
    expect(record.eventSourceARN).toBe(streamArn);
    expect(record.dynamodb?.OldImage?.blob).toEqual({ B: 'AQID' });
    expect(record.dynamodb?.OldImage?.tags).toEqual({ BS: ['/w=='] });
    expect(record.dynamodb?.OldImage?.nested).toEqual({
      M: { inner: { L: [{ B: 'AA==' }, { N: '12345678901234567890' }] } },
    });
    expect(record.userIdentity).toBeUndefined();
  });

  it("turns DynamoDB Local's TTL deletion into the REMOVE with service identity that AWS sends", () => {
    const record = toLambdaRecord(
      sdkRecord({ eventName: 'UNKNOWN_TO_SDK_VERSION' as _Record['eventName'] }),
      streamArn,
    );
    expect(record.eventName).toBe('REMOVE');
    expect(record.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(record.dynamodb?.OldImage).toBeDefined();
    expect(record.dynamodb?.NewImage).toBeUndefined();
  });

  it('keeps a user delete a plain REMOVE without identity', () => {
    const record = toLambdaRecord(
      sdkRecord({
        eventName: 'REMOVE',
        dynamodb: { ...sdkRecord({}).dynamodb, NewImage: undefined },
      }),
      streamArn,
    );
    expect(record.eventName).toBe('REMOVE');
    expect(record.userIdentity).toBeUndefined();
  });

  it('lower-cases the identity AWS puts on a real TTL deletion', () => {
    const record = toLambdaRecord(
      sdkRecord({
        eventName: 'REMOVE',
        userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
      }),
      streamArn,
    );
    expect(record.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
  });
});

describe('the TTL deletions of the local TTL process', () => {
  const directory = mkdtempSync(join(tmpdir(), 'lambda-event-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  // The item expired at 10:00:05; the sweep deleted it at 10:00:07.890; DynamoDB Local
  // stamped the REMOVE 10:00:00, the minute rounded down, before the item even expired.
  const ttl = Date.parse('2026-11-21T10:00:05Z') / 1000;
  const deletedAt = Date.parse('2026-11-21T10:00:07.890Z');
  const ledgerFile = join(directory, 'ledger.jsonl');
  const entry = JSON.stringify(['SESSION#s1', 'METADATA', String(ttl)]);
  writeFileSync(
    ledgerFile,
    `${JSON.stringify(['intent', entry, deletedAt])}\n${JSON.stringify(['done', entry, deletedAt])}\n`,
  );
  // Reading the ledger happens in the constructor: no engine is needed.
  const ttlDeletions = new LocalTtlProcess({
    client: {} as DynamoDBClient,
    tableName: 'main',
    attribute: 'ttl',
    keyAttributes: ['PK', 'SK'],
    ledgerFile,
    now: () => deletedAt + 60_000,
  });
  const removeAtTheMinute = (oldImageTtl: number) =>
    sdkRecord({
      eventName: 'REMOVE',
      dynamodb: {
        ...sdkRecord({}).dynamodb,
        ApproximateCreationDateTime: new Date('2026-11-21T10:00:00.000Z'),
        OldImage: {
          PK: { S: 'SESSION#s1' },
          SK: { S: 'METADATA' },
          ttl: { N: String(oldImageTtl) },
        },
        NewImage: undefined,
      },
    });

  it('stamps an expiry with its deletion time floored to the second, as AWS does', () => {
    const record = toLambdaRecord(removeAtTheMinute(ttl), streamArn, ttlDeletions);

    expect(record.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(record.dynamodb?.ApproximateCreationDateTime).toBe(Math.floor(deletedAt / 1000));
    expect(record.dynamodb?.ApproximateCreationDateTime).toBeGreaterThanOrEqual(ttl);
  });

  it("keeps the stream's own time on a REMOVE the process did not make", () => {
    const record = toLambdaRecord(removeAtTheMinute(ttl + 3600), streamArn, ttlDeletions);

    expect(record.userIdentity).toBeUndefined();
    expect(record.dynamodb?.ApproximateCreationDateTime).toBe(
      Date.parse('2026-11-21T10:00:00Z') / 1000,
    );
  });
});
