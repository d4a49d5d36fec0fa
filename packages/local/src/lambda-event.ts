import type { AttributeValue, _Record as StreamsRecord } from '@aws-sdk/client-dynamodb-streams';
import { TTL_USER_IDENTITY } from '@pipeline/pipeline';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';

// DynamoDB Local emits TTL deletions with an eventName the SDK does not know, which the
// SDK passes through as this literal; AWS sends a REMOVE with the service identity.
const UNKNOWN_EVENT_NAME = 'UNKNOWN_TO_SDK_VERSION';

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Converts one SDK attribute value into the JSON form Lambda delivers (binary as base64). */
export const toLambdaAttributeValue = (value: AttributeValue): LambdaAttributeValue => {
  if (value.B !== undefined) return { B: toBase64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(toBase64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttributeValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  return value as LambdaAttributeValue;
};

const toLambdaImage = (
  image: Record<string, AttributeValue>,
): Record<string, LambdaAttributeValue> => {
  const converted: Record<string, LambdaAttributeValue> = {};
  for (const [name, value] of Object.entries(image))
    converted[name] = toLambdaAttributeValue(value);
  return converted;
};

/** Recognises the REMOVE records of deletions made by a local TTL process. */
export interface TtlDeletions {
  /** When the process deleted the record's item (epoch ms), or undefined if it did not. */
  deletedAt(record: DynamoDBRecord): number | undefined;
  /** Resolves once every deletion in flight has its outcome, so {@link expired} is final. */
  settled(): Promise<void>;
}

/**
 * Turns a record read with `@aws-sdk/client-dynamodb-streams` into exactly the shape a
 * Lambda function receives: epoch-second creation time, base64 binaries, lower-case
 * userIdentity, and TTL deletions — DynamoDB Local's own, or those `ttlDeletions` made —
 * as REMOVE with the service identity. A deletion `ttlDeletions` made is stamped with its
 * deletion time floored to the second, as AWS stamps its records; DynamoDB Local stamps
 * every record to the minute, rounded down, which could put a removal before the expiry.
 *
 * @example
 * const event = { Records: records.map((record) => toLambdaRecord(record, streamArn)) };
 */
export const toLambdaRecord = (
  record: StreamsRecord,
  streamArn: string,
  ttlDeletions?: TtlDeletions,
): DynamoDBRecord => {
  const stream = record.dynamodb ?? {};
  const expiredLocally = (record.eventName as string | undefined) === UNKNOWN_EVENT_NAME;
  const lambdaRecord: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: expiredLocally ? 'REMOVE' : record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion,
    dynamodb: {
      ApproximateCreationDateTime:
        stream.ApproximateCreationDateTime === undefined
          ? undefined
          : Math.floor(stream.ApproximateCreationDateTime.getTime() / 1000),
      Keys: stream.Keys && toLambdaImage(stream.Keys),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
  };
  if (stream.NewImage && !expiredLocally)
    lambdaRecord.dynamodb!.NewImage = toLambdaImage(stream.NewImage);
  if (stream.OldImage) lambdaRecord.dynamodb!.OldImage = toLambdaImage(stream.OldImage);
  const deletedAt = ttlDeletions?.deletedAt(lambdaRecord);
  if (deletedAt !== undefined) {
    lambdaRecord.dynamodb!.ApproximateCreationDateTime = Math.floor(deletedAt / 1000);
  }
  if (expiredLocally || deletedAt !== undefined) {
    lambdaRecord.userIdentity = { ...TTL_USER_IDENTITY };
  } else if (record.userIdentity) {
    lambdaRecord.userIdentity = {
      type: record.userIdentity.Type,
      principalId: record.userIdentity.PrincipalId,
    };
  }
  return lambdaRecord;
};

/** Approximate bytes a record adds to an invocation payload. */
export const payloadBytes = (record: DynamoDBRecord): number =>
  Buffer.byteLength(JSON.stringify(record)) + 1;

/** Lambda's limit on one synchronous invocation's payload. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
