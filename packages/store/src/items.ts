import type { AttributeValue, GetItemCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod';
import { CorruptItemError, ItemTooLargeError } from './errors.js';
import { itemSize, MAX_ITEM_BYTES } from './size.js';

/** A marshalled DynamoDB item or key. */
export type AttributeMap = Record<string, AttributeValue>;

/**
 * Marshalls a plain object into a DynamoDB item and refuses it when it would exceed the
 * 400 KB limit, so an oversized write fails here rather than half-way through a batch.
 *
 * @example
 * toItem({ PK: 'USER#u1', SK: 'PROFILE', name: 'Ada' })
 */
export const toItem = (value: Readonly<Record<string, unknown>>): AttributeMap => {
  const item = marshall(value, { removeUndefinedValues: true, convertClassInstanceToMap: false });
  const size = itemSize(item);
  if (size > MAX_ITEM_BYTES) {
    throw new ItemTooLargeError({ PK: value.PK, SK: value.SK }, size, MAX_ITEM_BYTES);
  }
  return item;
};

/** Marshalls a key or expression values; never large enough to need a size check. */
export const toAttributes = (value: object): AttributeMap =>
  marshall(value as Record<string, unknown>, { removeUndefinedValues: true });

/**
 * A strongly consistent GetItem of one key: every read of the store's own items is, so a
 * caller sees its own writes.
 *
 * @example
 * consistentGet('orders', keys.user('u1'))
 */
export const consistentGet = (
  tableName: string,
  key: { readonly PK: string; readonly SK: string },
): GetItemCommandInput => ({ TableName: tableName, Key: toAttributes(key), ConsistentRead: true });

/**
 * Unmarshalls an item read from the table and checks it against its entity schema,
 * which also strips the key attributes.
 *
 * @example
 * fromItem(userSchema, response.Item)
 */
export const fromItem = <S extends z.ZodType>(schema: S, item: AttributeMap): z.output<S> => {
  const plain = unmarshall(item);
  const parsed = schema.safeParse(plain);
  if (!parsed.success) {
    throw new CorruptItemError({ PK: plain.PK, SK: plain.SK }, parsed.error.message, {
      cause: parsed.error,
    });
  }
  return parsed.data;
};

/** The audit attributes of a brand-new item. */
export const auditOfNew = (now: Date, rev: number) => {
  const at = now.toISOString();
  return { createdAt: at, updatedAt: at, rev };
};
