/**
 * Lambda-shaped DynamoDB stream records and events for unit tests, built from plain
 * objects. The shape is what Lambda delivers (eventVersion 1.1, epoch-seconds creation
 * time, base64 binary, the TTL service identity on expiry removes).
 */
import { marshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { EntityType, keys, type Order, type User } from '@pipeline/model';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/** The stream ARN the factory's records carry unless told otherwise. */
export const TEST_STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:123456789012:table/orders-test/stream/2024-05-01T00:00:00.000';

/** The identity Lambda shows on records of items DynamoDB's TTL process deleted. */
export const TTL_SERVICE_IDENTITY = {
  type: 'Service',
  principalId: 'dynamodb.amazonaws.com',
} as const;

let counter = 0n;
const SEQUENCE_BASE = 400_000_000_000_000_000_000n;

/** A fresh, ever-rising 21-digit sequence number, like the ones DynamoDB Streams issues. */
export const nextSequenceNumber = (): string => {
  counter += 1n;
  return (SEQUENCE_BASE + counter * 100n).toString();
};

/** An item as plain JavaScript values, including its `PK` and `SK`. */
export type PlainItem = Record<string, NativeAttributeValue>;

const base64Binary = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(base64Binary);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, base64Binary(item)]),
    );
  }
  return value;
};

/** Marshals a plain item to the DynamoDB JSON Lambda delivers (binary as base64). */
export const toStreamImage = (item: PlainItem): Record<string, AttributeValue> =>
  base64Binary(marshall(item, { removeUndefinedValues: true })) as Record<string, AttributeValue>;

/** Options of one stream record. */
export interface RecordOptions {
  readonly sequenceNumber?: string;
  readonly eventID?: string;
  /** Epoch seconds, as Lambda delivers them. @default now */
  readonly approximateCreationDateTime?: number;
  readonly userIdentity?: unknown;
  readonly eventSourceARN?: string;
}

const record = (
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  keyItem: PlainItem,
  newImage: PlainItem | undefined,
  oldImage: PlainItem | undefined,
  options: RecordOptions,
): DynamoDBRecord => {
  const sequenceNumber = options.sequenceNumber ?? nextSequenceNumber();
  const dynamodb: NonNullable<DynamoDBRecord['dynamodb']> = {
    ApproximateCreationDateTime:
      options.approximateCreationDateTime ?? Math.floor(Date.now() / 1000),
    Keys: toStreamImage({ PK: keyItem.PK, SK: keyItem.SK }),
    SequenceNumber: sequenceNumber,
    SizeBytes: 0,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  };
  if (newImage) dynamodb.NewImage = toStreamImage(newImage);
  if (oldImage) dynamodb.OldImage = toStreamImage(oldImage);
  dynamodb.SizeBytes = JSON.stringify([dynamodb.Keys, dynamodb.NewImage, dynamodb.OldImage]).length;
  const result: DynamoDBRecord = {
    eventID: options.eventID ?? `e${sequenceNumber.slice(-12)}${'0'.repeat(19)}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb,
    eventSourceARN: options.eventSourceARN ?? TEST_STREAM_ARN,
  };
  if (options.userIdentity !== undefined) result.userIdentity = options.userIdentity;
  return result;
};

/** An INSERT record of a new item. */
export const insertRecord = (item: PlainItem, options: RecordOptions = {}): DynamoDBRecord =>
  record('INSERT', item, item, undefined, options);

/** A MODIFY record from `oldItem` to `newItem` (same keys). */
export const modifyRecord = (
  oldItem: PlainItem,
  newItem: PlainItem,
  options: RecordOptions = {},
): DynamoDBRecord => record('MODIFY', newItem, newItem, oldItem, options);

/** A REMOVE record made by a user or a service (no userIdentity). */
export const removeRecord = (oldItem: PlainItem, options: RecordOptions = {}): DynamoDBRecord =>
  record('REMOVE', oldItem, undefined, oldItem, options);

/** A REMOVE record made by DynamoDB's TTL process, carrying the service identity. */
export const ttlRemoveRecord = (oldItem: PlainItem, options: RecordOptions = {}): DynamoDBRecord =>
  record('REMOVE', oldItem, undefined, oldItem, {
    userIdentity: TTL_SERVICE_IDENTITY,
    ...options,
  });

/** Wraps records in the event Lambda hands a handler. */
export const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({
  Records: records,
});

const NOW = '2024-05-01T12:00:00.000Z';

/** A user item with its keys, as the store writes it. */
export const userItem = (overrides: Partial<User> = {}): PlainItem => {
  const user: User = {
    entityType: EntityType.user,
    userId: 'u1',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    loyaltyPoints: 0,
    createdAt: NOW,
    updatedAt: NOW,
    rev: 1,
    ...overrides,
  };
  return { ...keys.user(user.userId), ...keys.userByEmail(user.email), ...user };
};

/** An order item with its keys (about 15 attributes), as the store writes it. */
export const orderItem = (overrides: Partial<Order> = {}): PlainItem => {
  const order: Order = {
    entityType: EntityType.order,
    orderId: 'o1',
    userId: 'u1',
    status: 'pending',
    total: { amount: 12_50, currency: 'EUR' },
    itemCount: 2,
    flagged: false,
    createdAt: NOW,
    updatedAt: NOW,
    rev: 1,
    ...overrides,
  };
  return {
    ...keys.order(order.userId, order.createdAt, order.orderId),
    ...keys.orderByStatus(order.status, order.createdAt, order.orderId),
    ...(order.flagged ? keys.flaggedOrder(order.createdAt, order.orderId) : {}),
    ...order,
  };
};
