import {
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { keyOf } from './batch-get.js';
import { ValidationError } from './errors.js';
import { toItem } from './items.js';
import { chunk, type RetryOptions, sendUntilProcessed } from './retry.js';
import { nextRev } from './rev.js';
import { parseInput } from './validation.js';

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;

/** Options of {@link batchPutItems}. */
export interface BatchPutOptions extends RetryOptions {
  /** The write time stamped on every item. @default new Date() */
  readonly now?: Date;
  /** Chunks in flight at once. @default 4 */
  readonly concurrency?: number;
}

const batchItemSchema = z.looseObject({
  PK: z.string().min(1),
  SK: z.string().min(1),
  entityType: z.string().min(1),
  rev: z.number().int().positive().optional(),
  createdAt: z.string().optional(),
});

/** An item for {@link batchPutItems}: its keys, its entity type, and any other attributes. */
export type BatchItem = z.input<typeof batchItemSchema>;

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
  await sendUntilProcessed(requests, options, 'BatchWriteItem', async (request) => {
    const response = await client.send(new BatchWriteItemCommand(request));
    const left = response.UnprocessedItems?.[tableName] ?? [];
    return left.length > 0
      ? { request: { RequestItems: { [tableName]: left } }, count: left.length }
      : undefined;
  });
};
