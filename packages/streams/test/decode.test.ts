import { NumberValueImpl, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  insertRecord,
  modifyRecord,
  orderItem,
  removeRecord,
  streamEvent,
  ttlRemoveRecord,
  userItem,
} from '@pipeline/testing';
import type { DynamoDBRecord, StreamRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEvent, decodeRecord, tryDecodeRecord } from '../src/decode.js';
import { DecodeError } from '../src/errors.js';
import { parseNumber, unmarshallImage } from '../src/unmarshall.js';

// The envelope Lambda wraps each record of a NEW_AND_OLD_IMAGES stream in (AWS docs'
// sample event), around this table's keys.
const captured = (
  fields: Pick<DynamoDBRecord, 'eventID' | 'eventName' | 'userIdentity'>,
  dynamodb: Omit<StreamRecord, 'StreamViewType'>,
): DynamoDBRecord => ({
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  ...fields,
  dynamodb: { ...dynamodb, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  eventSourceARN:
    'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2024-05-01T00:00:00.000',
});

// The attributes both images of the captured user share.
const grace = {
  PK: { S: 'USER#u42' },
  SK: { S: 'PROFILE' },
  entityType: { S: 'User' },
  userId: { S: 'u42' },
  email: { S: 'grace@example.com' },
  name: { S: 'Grace Hopper' },
};

// A modify with the awkward types: sets, binary, huge and long numbers.
const capturedModify = captured(
  { eventID: 'c81e728d9d4c2f636f067f89cc14862c', eventName: 'MODIFY' },
  {
    ApproximateCreationDateTime: 1714564800,
    Keys: { SK: { S: 'PROFILE' }, PK: { S: 'USER#u42' } },
    NewImage: {
      ...grace,
      loyaltyPoints: { N: '9007199254740993' },
      ratio: { N: '0.1000000000000000000000000000000000001' },
      tags: { SS: ['vip', 'beta'] },
      scores: { NS: ['1', '2.5', '123456789012345678901234567890'] },
      avatar: { B: 'AAEC/w==' },
      blobs: { BS: ['AQ==', 'Ag=='] },
      prefs: {
        M: { dark: { BOOL: true }, lang: { NULL: true }, recent: { L: [{ N: '7' }, { S: 'x' }] } },
      },
      rev: { N: '3' },
    },
    OldImage: { ...grace, loyaltyPoints: { N: '10' }, rev: { N: '2' } },
    SequenceNumber: '111100000000011111111111',
    SizeBytes: 412,
  },
);

const sessionKeys = { PK: { S: 'SESSION#s1' }, SK: { S: 'METADATA' } };
const capturedTtlRemove = captured(
  {
    eventID: 'eccbc87e4b5ce2fe28308fd9f2a7baf3',
    eventName: 'REMOVE',
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  },
  {
    ApproximateCreationDateTime: 1714564801.5,
    Keys: sessionKeys,
    OldImage: {
      ...sessionKeys,
      entityType: { S: 'Session' },
      sessionId: { S: 's1' },
      userId: { S: 'u42' },
      ttl: { N: '1714560000' },
    },
    SequenceNumber: '111100000000011111111112',
    SizeBytes: 120,
  },
);

const decodeFailure = (record: DynamoDBRecord): DecodeError => {
  const result = tryDecodeRecord(record);
  if (!(result instanceof DecodeError)) throw new Error('expected a DecodeError');
  return result;
};

describe('decodeRecord on captured-shape Lambda records', () => {
  it('decodes a modify with both images, typing the entity from its keys', () => {
    const change = decodeRecord(capturedModify);

    expect(change).toMatchObject({
      kind: 'modify',
      keys: { PK: 'USER#u42', SK: 'PROFILE' },
      entityType: 'User',
      entity: { entityType: 'User', userId: 'u42' },
      eventID: 'c81e728d9d4c2f636f067f89cc14862c',
      sequenceNumber: '111100000000011111111111',
      approximateCreationTime: 1714564800_000,
      expiredByTtl: false,
      eventSourceARN: capturedModify.eventSourceARN,
    });
    expect(change.oldImage).toMatchObject({ loyaltyPoints: 10, rev: 2 });
  });

  it('keeps numbers beyond 2^53 and long decimals exact instead of rounding them', () => {
    const image = decodeRecord(capturedModify).newImage!;

    expect(image.loyaltyPoints).toBeInstanceOf(NumberValueImpl);
    expect(String(image.loyaltyPoints)).toBe('9007199254740993');
    expect(String(image.ratio)).toBe('0.1000000000000000000000000000000000001');
    expect([...(image.scores as Set<unknown>)].map(String)).toEqual([
      '1',
      '2.5',
      '123456789012345678901234567890',
    ]);
    expect(image.rev).toBe(3);
  });

  it('turns base64 binary into bytes and sets into Sets', () => {
    const image = decodeRecord(capturedModify).newImage!;

    expect(image.avatar).toBeInstanceOf(Uint8Array);
    expect([...(image.avatar as Uint8Array)]).toEqual([0, 1, 2, 255]);
    expect(image.tags).toEqual(new Set(['vip', 'beta']));
    expect([...(image.blobs as Set<Uint8Array>)].map((bytes) => [...bytes])).toEqual([[1], [2]]);
    expect(image.prefs).toEqual({ dark: true, lang: null, recent: [7, 'x'] });
  });

  it('marks a remove by the DynamoDB service principal as expired by TTL, with ms time', () => {
    const change = decodeRecord(capturedTtlRemove);

    expect(change).toMatchObject({
      kind: 'remove',
      entityType: 'Session',
      expiredByTtl: true,
      newImage: undefined,
      approximateCreationTime: 1714564801_500,
    });
    expect(change.oldImage).toMatchObject({ sessionId: 's1', ttl: 1714560000 });
  });
});

describe('decodeRecord on factory records', () => {
  it('decodes insert, modify, user remove and TTL remove', () => {
    const paid = orderItem({ status: 'paid', rev: 2 });
    const { changes, failures } = decodeEvent(
      streamEvent(
        insertRecord(orderItem()),
        modifyRecord(orderItem(), paid),
        removeRecord(paid),
        ttlRemoveRecord(userItem()),
      ),
    );

    expect(failures).toEqual([]);
    expect(changes.map((change) => [change.kind, change.entityType, change.expiredByTtl])).toEqual([
      ['insert', 'Order', false],
      ['modify', 'Order', false],
      ['remove', 'Order', false],
      ['remove', 'User', true],
    ]);
    expect(changes[1]!.newImage).toMatchObject({
      status: 'paid',
      total: { amount: 1250, currency: 'EUR' },
    });
    expect(changes[0]!.itemKey).toBe(changes[2]!.itemKey);
  });

  it('does not treat a remove with another identity as a TTL expiry', () => {
    const change = decodeRecord(
      removeRecord(userItem(), {
        userIdentity: { type: 'Service', principalId: 'other.amazonaws.com' },
      }),
    );

    expect(change.expiredByTtl).toBe(false);
  });
});

describe('decodeRecord refuses bad input with a typed error', () => {
  const good = () => insertRecord(orderItem());

  it.each([
    ['missingKeys', (record: DynamoDBRecord) => delete record.dynamodb!.Keys!.SK],
    [
      'unknownEntity',
      (record: DynamoDBRecord) => {
        record.dynamodb!.Keys = { PK: { S: 'THING#1' }, SK: { S: 'X' } };
      },
    ],
    [
      'malformedImage',
      (record: DynamoDBRecord) => {
        record.dynamodb!.NewImage!.total = { N: 'twelve' };
      },
    ],
    [
      'malformedImage',
      (record: DynamoDBRecord) => {
        (record.dynamodb!.NewImage as Record<string, unknown>).flagged = { X: 1 };
      },
    ],
    ['missingImage', (record: DynamoDBRecord) => delete record.dynamodb!.NewImage],
    [
      'unknownEventName',
      (record: DynamoDBRecord) => {
        (record as { eventName: string }).eventName = 'UNKNOWN_TO_SDK_VERSION';
      },
    ],
    ['missingSequenceNumber', (record: DynamoDBRecord) => delete record.dynamodb!.SequenceNumber],
    [
      'malformedRecord',
      (record: DynamoDBRecord) => delete record.dynamodb!.ApproximateCreationDateTime,
    ],
    [
      'unknownEntity',
      (record: DynamoDBRecord) => {
        record.dynamodb!.NewImage!.entityType = { S: 'User' };
      },
    ],
  ] as const)('reports %s', (reason, spoil) => {
    const record = good();
    spoil(record);

    const error = decodeFailure(record);

    expect(error).toMatchObject({
      name: 'DecodeError',
      code: 'stream.decode',
      reason,
      eventID: record.eventID,
    });
    if (reason !== 'missingSequenceNumber')
      expect(error.sequenceNumber).toBe(record.dynamodb!.SequenceNumber);
    expect(() => decodeRecord(record)).toThrow(DecodeError);
  });

  it('names the attribute path of a malformed value, never the item values', () => {
    const record = insertRecord(userItem());
    record.dynamodb!.NewImage!.prefs = { M: { recent: { L: [{ S: 'ok' }, { N: 'NaN?' }] } } };

    const error = decodeFailure(record);

    expect(error.message).toContain('prefs.recent.L[1].N');
    expect(error.message).not.toContain('ada@example.com');
  });

  it('does not put an email from an unknown key into the error message', () => {
    const record = insertRecord(userItem());
    record.dynamodb!.Keys = { PK: { S: 'EMAIL#ada@example.com' }, SK: { S: 'NOPE' } };

    expect(decodeFailure(record).message).not.toContain('ada@example.com');
  });
});

describe('parseNumber', () => {
  it('keeps safe integers and round-tripping decimals as numbers', () => {
    expect(parseNumber('42')).toBe(42);
    expect(parseNumber('-12.5')).toBe(-12.5);
    expect(parseNumber('1.50')).toBe(1.5);
    expect(parseNumber('0.1')).toBe(0.1);
    expect(parseNumber('-0')).toBe(0);
    expect(parseNumber('1E+3')).toBe(1000);
  });

  it('keeps everything else exact as a NumberValue', () => {
    for (const text of [
      '9007199254740992',
      '-9007199254740993',
      '1E+30',
      '0.30000000000000000001',
    ]) {
      const value = parseNumber(text);
      expect(value).toBeInstanceOf(NumberValueImpl);
      expect(String(value)).toBe(text);
    }
  });

  it('returns a number only when it denotes the same integer (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 38n), max: 10n ** 38n }), (big) => {
        const value = parseNumber(big.toString());
        if (typeof value === 'number') {
          expect(Number.isSafeInteger(value)).toBe(true);
          expect(BigInt(value)).toBe(big);
        } else {
          expect(value.toString()).toBe(big.toString());
          expect(
            big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER),
          ).toBe(true);
        }
      }),
    );
  });
});

describe('unmarshallImage', () => {
  // The SDK turns an attribute named __proto__ into a prototype; that case has its own test.
  const attributeName = fc.string({ minLength: 1 }).filter((name) => name !== '__proto__');
  // DynamoDB JSON for arbitrary values, binary as base64 as Lambda sends it.
  const attribute = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string().map((S) => ({ S })),
      fc
        .oneof(
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        )
        .map((n) => ({ N: String(n) })),
      fc.boolean().map((BOOL) => ({ BOOL })),
      fc.constant({ NULL: true }),
      fc
        .uint8Array({ maxLength: 8 })
        .map((bytes) => ({ B: Buffer.from(bytes).toString('base64') })),
      fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 3 }).map((SS) => ({ SS })),
      fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })),
      fc.dictionary(attributeName, tie('value'), { maxKeys: 3 }).map((M) => ({ M })),
    ),
  })).value;

  const binaryToBytes = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if ('B' in value && typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
    if ('L' in value && Array.isArray(value.L)) return { L: value.L.map(binaryToBytes) };
    if ('M' in value) {
      return {
        M: Object.fromEntries(
          Object.entries(value.M as object).map(([k, v]) => [k, binaryToBytes(v)]),
        ),
      };
    }
    return value;
  };

  it('equals the SDK unmarshall with exact numbers and decoded binary (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(attributeName, attribute, { maxKeys: 6 }), (image) => {
        const sdkInput = Object.fromEntries(
          Object.entries(image).map(([k, v]) => [k, binaryToBytes(v)]),
        );
        const expected = unmarshall(sdkInput as never, { wrapNumbers: parseNumber });

        expect(unmarshallImage(image)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an attribute named __proto__ as data', () => {
    const image = unmarshallImage(JSON.parse('{"__proto__":{"S":"x"}}'));

    expect(Object.getPrototypeOf(image)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(image, '__proto__')?.value).toBe('x');
  });
});
