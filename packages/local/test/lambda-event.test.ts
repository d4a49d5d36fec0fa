import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { toLambdaRecord } from '../src/lambda-event.js';

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
