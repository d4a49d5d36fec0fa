import { parseKey } from '@pipeline/model';
import { TTL_USER_IDENTITY } from '@pipeline/pipeline';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { DecodeError, type DecodeFailureReason, MalformedAttributeError } from './errors.js';
import { isSequenceNumber } from './sequence.js';
import type { ChangeEvent, ChangeKind, Image } from './types.js';
import { unmarshallImage } from './unmarshall.js';

/** The identity DynamoDB's TTL process puts on the records of items it deleted. */

const kindOf = (eventName: unknown): ChangeKind | undefined => {
  switch (eventName) {
    case 'INSERT':
      return 'insert';
    case 'MODIFY':
      return 'modify';
    case 'REMOVE':
      return 'remove';
    default:
      return undefined;
  }
};

/**
 * The identity of an item for per-item ordering. Keys of this table never hold NUL; if one
 * did, two items could share a lane, which only serialises them: never unsafe.
 *
 * @example
 * itemKeyOf('USER#u1', 'PROFILE') // 'USER#u1\u0000PROFILE'
 */
export const itemKeyOf = (pk: string, sk: string): string => `${pk}\u0000${sk}`;

/** Whether a record's `userIdentity` is DynamoDB's TTL process. */
export const isTtlIdentity = (userIdentity: unknown): boolean => {
  if (userIdentity === null || typeof userIdentity !== 'object') return false;
  const identity = userIdentity as { type?: unknown; principalId?: unknown };
  return (
    identity.type === TTL_USER_IDENTITY.type &&
    identity.principalId === TTL_USER_IDENTITY.principalId
  );
};

const stringKey = (keys: unknown, name: 'PK' | 'SK'): string | undefined => {
  const attribute = (keys as Record<string, { S?: unknown } | undefined> | undefined)?.[name];
  return typeof attribute?.S === 'string' ? attribute.S : undefined;
};

/**
 * The item key of a raw record, readable even when the record cannot be decoded, so that a
 * poison pill still blocks the later records of its item.
 */
export const rawItemKey = (record: DynamoDBRecord): string | undefined => {
  const keys = record.dynamodb?.Keys;
  const pk = stringKey(keys, 'PK');
  const sk = stringKey(keys, 'SK');
  return pk === undefined || sk === undefined ? undefined : itemKeyOf(pk, sk);
};

// A module-level function rather than a closure per record: decoding is the hot path.
const failure = (
  record: DynamoDBRecord,
  reason: DecodeFailureReason,
  detail: string,
  cause?: unknown,
): DecodeError =>
  new DecodeError(
    reason,
    detail,
    { sequenceNumber: record.dynamodb?.SequenceNumber, eventID: record.eventID },
    { cause },
  );

const image = (
  record: DynamoDBRecord,
  raw: unknown,
  which: 'NewImage' | 'OldImage',
): Image | undefined => {
  if (raw === undefined) return undefined;
  try {
    return unmarshallImage(raw);
  } catch (error) {
    const detail = error instanceof MalformedAttributeError ? error.message : String(error);
    throw failure(record, 'malformedImage', `${which}: ${detail}`, error);
  }
};

/**
 * Decodes one Lambda DynamoDB stream record into a {@link ChangeEvent}. Throws a
 * {@link DecodeError} (code `stream.decode`) naming the sequence number, event id and
 * reason: malformed record, missing sequence number, unknown event name, missing keys,
 * unknown entity, missing or malformed image. Error details name attributes, never values.
 *
 * @example
 * const change = decodeRecord(event.Records[0]);
 * if (change.kind === 'remove' && change.expiredByTtl) archive(change.oldImage);
 */
export const decodeRecord = (record: DynamoDBRecord): ChangeEvent => {
  const stream = record.dynamodb;
  const sequenceNumber = stream?.SequenceNumber;
  const eventID = record.eventID;
  if (stream === null || typeof stream !== 'object') {
    throw failure(record, 'malformedRecord', 'the record has no dynamodb section');
  }
  if (!isSequenceNumber(sequenceNumber)) {
    throw failure(record, 'missingSequenceNumber', 'SequenceNumber must be a decimal string');
  }
  if (typeof eventID !== 'string' || eventID === '') {
    throw failure(record, 'malformedRecord', 'eventID must be a non-empty string');
  }
  const kind = kindOf(record.eventName);
  if (kind === undefined) {
    throw failure(record, 'unknownEventName', `eventName ${JSON.stringify(record.eventName)}`);
  }
  const seconds = stream.ApproximateCreationDateTime;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) {
    throw failure(record, 'malformedRecord', 'ApproximateCreationDateTime must be epoch seconds');
  }
  const pk = stringKey(stream.Keys, 'PK');
  const sk = stringKey(stream.Keys, 'SK');
  if (pk === undefined || sk === undefined) {
    throw failure(record, 'missingKeys', 'Keys must hold string attributes PK and SK');
  }
  const entity = parseKey({ PK: pk, SK: sk });
  if (entity === undefined) {
    // The key itself may hold an email (EMAIL#…), so only its type prefix is named.
    throw failure(record, 'unknownEntity', `no entity has keys of type ${pk.split('#', 1)[0]}`);
  }
  const newImage = image(record, stream.NewImage, 'NewImage');
  const oldImage = image(record, stream.OldImage, 'OldImage');
  const view = stream.StreamViewType;
  if (
    (newImage === undefined &&
      kind !== 'remove' &&
      (view === 'NEW_AND_OLD_IMAGES' || view === 'NEW_IMAGE')) ||
    (oldImage === undefined &&
      kind !== 'insert' &&
      (view === 'NEW_AND_OLD_IMAGES' || view === 'OLD_IMAGE'))
  ) {
    throw failure(record, 'missingImage', `${record.eventName} on a ${view} stream lacks an image`);
  }
  const imageType = (newImage ?? oldImage)?.entityType;
  if (imageType !== undefined && imageType !== entity.entityType) {
    throw failure(
      record,
      'unknownEntity',
      `keys say ${entity.entityType} but the image says ${String(imageType)}`,
    );
  }
  // One literal with every field, so every change shares one hidden class.
  return {
    kind,
    keys: { PK: pk, SK: sk },
    itemKey: itemKeyOf(pk, sk),
    entityType: entity.entityType,
    entity,
    newImage,
    oldImage,
    eventID,
    sequenceNumber,
    approximateCreationTime: Math.round(seconds * 1000),
    expiredByTtl: kind === 'remove' && isTtlIdentity(record.userIdentity),
    eventSourceARN: record.eventSourceARN,
  };
};

/** Decodes a record, returning the {@link DecodeError} instead of throwing it. */
export const tryDecodeRecord = (record: DynamoDBRecord): ChangeEvent | DecodeError => {
  try {
    return decodeRecord(record);
  } catch (error) {
    if (error instanceof DecodeError) return error;
    return new DecodeError(
      'malformedRecord',
      String(error),
      { sequenceNumber: record?.dynamodb?.SequenceNumber, eventID: record?.eventID },
      { cause: error },
    );
  }
};

/** The decodable changes of an event, in stream order, and the records that failed to decode. */
export interface DecodedEvent {
  readonly changes: ChangeEvent[];
  readonly failures: DecodeError[];
}

/**
 * Decodes every record of a Lambda event; a poison pill lands in `failures` and does not
 * stop the others.
 *
 * @example
 * const { changes, failures } = decodeEvent(event);
 */
export const decodeEvent = (event: DynamoDBStreamEvent): DecodedEvent => {
  const changes: ChangeEvent[] = [];
  const failures: DecodeError[] = [];
  for (const record of event.Records) {
    const decoded = tryDecodeRecord(record);
    if (decoded instanceof DecodeError) failures.push(decoded);
    else changes.push(decoded);
  }
  return { changes, failures };
};
