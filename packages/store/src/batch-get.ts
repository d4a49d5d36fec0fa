import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ItemKey } from '@pipeline/model';
import { ValidationError } from './errors.js';
import { type AttributeMap, toAttributes } from './items.js';
import { chunk, type RetryOptions, sendUntilProcessed } from './retry.js';

/** BatchGetItem takes at most 100 keys. */
export const BATCH_GET_LIMIT = 100;

/** Options of {@link batchGetItems}. */
export interface BatchGetOptions extends RetryOptions {
  /** @default true */
  readonly consistentRead?: boolean;
  /** Chunks in flight at once. @default 4 */
  readonly concurrency?: number;
}

/** A stable string for an item's primary key. */
export const keyOf = (item: { PK: string; SK: string }): string =>
  JSON.stringify([item.PK, item.SK]);

/**
 * Builds the BatchGetItem requests for a list of keys, 100 to a request, duplicates dropped.
 *
 * @example
 * buildBatchGetParams('orders', [{ PK: 'USER#u1', SK: 'PROFILE' }], true)
 */
export const buildBatchGetParams = (
  tableName: string,
  itemKeys: readonly ItemKey[],
  consistentRead: boolean,
): BatchGetItemCommandInput[] => {
  // Checked by hand, not with a schema, so that readers bundle no validation library.
  const issues = itemKeys.flatMap((key, index) =>
    typeof key?.PK === 'string' && key.PK !== '' && typeof key.SK === 'string' && key.SK !== ''
      ? []
      : [{ path: `${index}`, message: 'a key needs a non-empty PK and SK' }],
  );
  if (issues.length > 0) throw new ValidationError(issues);
  const parsed = itemKeys;
  const unique = [...new Map(parsed.map((key) => [keyOf(key), key])).values()];
  return chunk(unique, BATCH_GET_LIMIT).map((part) => ({
    RequestItems: {
      [tableName]: {
        Keys: part.map((key) => toAttributes({ PK: key.PK, SK: key.SK })),
        ConsistentRead: consistentRead,
      },
    },
  }));
};

/**
 * Reads any number of items by key with BatchGetItem, 100 at a time, retrying unprocessed
 * keys like {@link batchPutItems}. Returns the items found, unmarshalled, in no set order.
 *
 * @example
 * const items = await batchGetItems(client, 'orders', [keys.user('u1'), keys.product('p1')]);
 */
export const batchGetItems = async (
  client: DynamoDBClient,
  tableName: string,
  itemKeys: readonly ItemKey[],
  options: BatchGetOptions = {},
): Promise<Record<string, unknown>[]> => {
  const requests = buildBatchGetParams(tableName, itemKeys, options.consistentRead ?? true);
  const found: AttributeMap[] = [];
  await sendUntilProcessed(requests, options, 'BatchGetItem', async (request) => {
    const response = await client.send(new BatchGetItemCommand(request));
    found.push(...(response.Responses?.[tableName] ?? []));
    const left: KeysAndAttributes | undefined = response.UnprocessedKeys?.[tableName];
    return left?.Keys?.length
      ? { request: { RequestItems: { [tableName]: left } }, count: left.Keys.length }
      : undefined;
  });
  return found.map((item) => unmarshall(item));
};
