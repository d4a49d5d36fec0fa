import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ItemKey } from '@pipeline/model';
import { z } from 'zod';
import { UnprocessedItemsError, ValidationError } from './errors.js';
import { type AttributeMap, toAttributes, toItem } from './items.js';
import { nextRev } from './rev.js';
import { parseInput } from './validation.js';

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;
/** BatchGetItem takes at most 100 keys. */
export const BATCH_GET_LIMIT = 100;

/** How unprocessed items are retried. */
export interface RetryOptions {
  /** Sends per chunk, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** Ceiling of the first retry's delay. @default 50 */
  readonly baseDelayMs?: number;
  /** Cap on any delay. @default 2000 */
  readonly maxDelayMs?: number;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** How to wait; tests pass one that does not. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Options of {@link batchPutItems}. */
export interface BatchPutOptions extends RetryOptions {
  /** The write time stamped on every item. @default new Date() */
  readonly now?: Date;
  /** Chunks in flight at once. @default 4 */
  readonly concurrency?: number;
}

/** Options of {@link batchGetItems}. */
export interface BatchGetOptions extends RetryOptions {
  /** @default true */
  readonly consistentRead?: boolean;
  /** Chunks in flight at once. @default 4 */
  readonly concurrency?: number;
}

/**
 * Splits a list into chunks of at most `size`.
 *
 * @example
 * chunk([1, 2, 3], 2) // [[1, 2], [3]]
 */
export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
};

/**
 * The delay before retry number `attempt` (1 for the first retry): "full jitter", a
 * random time up to an exponentially growing ceiling that is capped, so that clients
 * throttled together do not retry together.
 *
 * @example
 * backoffDelayMs(3, { baseDelayMs: 50, maxDelayMs: 2000, random: () => 0.5 }) // 100
 */
export const backoffDelayMs = (
  attempt: number,
  options: {
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    readonly random: () => number;
  },
): number => {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * ceiling);
};

const batchItemSchema = z.looseObject({
  PK: z.string().min(1),
  SK: z.string().min(1),
  entityType: z.string().min(1),
  rev: z.number().int().positive().optional(),
  createdAt: z.string().optional(),
});

/** An item for {@link batchPutItems}: its keys, its entity type, and any other attributes. */
export type BatchItem = z.input<typeof batchItemSchema>;

const keyOf = (item: { PK: string; SK: string }): string => JSON.stringify([item.PK, item.SK]);

/**
 * Builds the BatchWriteItem requests for a list of items, 25 to a request. Each item is
 * stamped with `updatedAt`, a `createdAt` unless it has one, and a revision above the
 * one it carries. Every item is checked (shape, size, no duplicate key) before any
 * request is built, so a bad item means nothing is written.
 *
 * @example
 * buildBatchPutParams('orders', [{ PK: 'PRODUCT#p1', SK: 'METADATA', entityType: 'Product', name: 'Pen' }], new Date())
 */
export const buildBatchPutParams = (
  tableName: string,
  items: readonly BatchItem[],
  now: Date,
): BatchWriteItemCommandInput[] => {
  const parsed = parseInput(z.array(batchItemSchema), items);
  const seen = new Set<string>();
  const at = now.toISOString();
  const requests: WriteRequest[] = parsed.map((item, index) => {
    const key = keyOf(item);
    if (seen.has(key)) {
      throw new ValidationError([{ path: `${index}`, message: 'duplicate key in one batch' }]);
    }
    seen.add(key);
    return {
      PutRequest: {
        Item: toItem({
          ...item,
          createdAt: item.createdAt ?? at,
          updatedAt: at,
          rev: nextRev(now, item.rev),
        }),
      },
    };
  });
  return chunk(requests, BATCH_WRITE_LIMIT).map((part) => ({
    RequestItems: { [tableName]: part },
  }));
};

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
  const parsed = parseInput(
    z.array(z.object({ PK: z.string().min(1), SK: z.string().min(1) })),
    itemKeys,
  );
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

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

const retrySettings = (options: RetryOptions) => ({
  maxAttempts: options.maxAttempts ?? 8,
  baseDelayMs: options.baseDelayMs ?? 50,
  maxDelayMs: options.maxDelayMs ?? 2000,
  random: options.random ?? Math.random,
  sleep: options.sleep ?? defaultSleep,
});

/** Runs `work` over every element with at most `concurrency` running at once. */
const forEachLimited = async <T>(
  elements: readonly T[],
  concurrency: number,
  work: (element: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < elements.length) {
      const element = elements[next++]!;
      await work(element);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, elements.length)) }, worker),
  );
};

/**
 * Writes any number of items with BatchWriteItem, 25 at a time. Unprocessed items are
 * retried with capped exponential backoff and full jitter; any still unprocessed after
 * the last attempt raise {@link UnprocessedItemsError}. BatchWriteItem is not
 * conditional: it overwrites, so use it for bulk loads, not for guarded creates.
 *
 * @example
 * await batchPutItems(client, 'orders', items);
 */
export const batchPutItems = async (
  client: DynamoDBClient,
  tableName: string,
  items: readonly BatchItem[],
  options: BatchPutOptions = {},
): Promise<void> => {
  const requests = buildBatchPutParams(tableName, items, options.now ?? new Date());
  const retry = retrySettings(options);
  await forEachLimited(requests, options.concurrency ?? 4, async (request) => {
    let pending: BatchWriteItemCommandInput = request;
    for (let attempt = 1; ; attempt++) {
      const response = await client.send(new BatchWriteItemCommand(pending));
      const left = response.UnprocessedItems?.[tableName] ?? [];
      if (left.length === 0) return;
      if (attempt >= retry.maxAttempts) {
        throw new UnprocessedItemsError('BatchWriteItem', left.length, attempt);
      }
      await retry.sleep(backoffDelayMs(attempt, retry));
      pending = { RequestItems: { [tableName]: left } };
    }
  });
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
  const retry = retrySettings(options);
  const found: AttributeMap[] = [];
  await forEachLimited(requests, options.concurrency ?? 4, async (request) => {
    let pending: BatchGetItemCommandInput = request;
    for (let attempt = 1; ; attempt++) {
      const response = await client.send(new BatchGetItemCommand(pending));
      found.push(...(response.Responses?.[tableName] ?? []));
      const left: KeysAndAttributes | undefined = response.UnprocessedKeys?.[tableName];
      if (!left?.Keys?.length) return;
      if (attempt >= retry.maxAttempts) {
        throw new UnprocessedItemsError('BatchGetItem', left.Keys.length, attempt);
      }
      await retry.sleep(backoffDelayMs(attempt, retry));
      pending = { RequestItems: { [tableName]: left } };
    }
  });
  return found.map((item) => unmarshall(item));
};
