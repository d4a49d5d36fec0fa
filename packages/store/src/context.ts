import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type TransactWriteItemsCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type * as z from 'zod';
import { encodeCursor } from './cursor.js';
import { NotFoundError, StaleRevisionError } from './errors.js';
import { fromItem } from './items.js';
import type { Page } from './schemas.js';
import {
  type CancellationReason,
  cancellationReasons,
  conditionFailedAt,
  sendTransaction,
} from './transactions.js';

/** Iteration inputs: a list's input without the cursor, which the iterator follows itself. */
export type IterateInput<T> = Omit<T, 'cursor'>;

/**
 * What a failed transaction means: the error to throw for its cancellation reasons
 * (`undefined` when it was not cancelled), or `undefined` to throw the failure as it is.
 */
export type ExplainCancellation = (
  reasons: CancellationReason[] | undefined,
  error: unknown,
) => Error | undefined;

/** What every entity group of the store shares: the table, its client, the clock and the request helpers. */
export interface StoreContext {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  /** The clock. */
  readonly clock: () => Date;
  /** The item a GetItem finds, parsed by `schema`, or `undefined`. */
  getOne<S extends z.ZodType>(
    schema: S,
    input: GetItemCommandInput,
  ): Promise<z.output<S> | undefined>;
  /** One page of a Query, each item parsed by `schema`, with the cursor of the next page. */
  queryPage<S extends z.ZodType>(schema: S, input: QueryCommandInput): Promise<Page<z.output<S>>>;
  /** Sends a transaction; a failure throws what `explain` makes of it. */
  transact(input: TransactWriteItemsCommandInput, explain: ExplainCancellation): Promise<void>;
  /** Sends an UpdateItem and parses the item it returns; a failure throws what `explain` makes of it. */
  updateItem<S extends z.ZodType>(
    schema: S,
    input: UpdateItemCommandInput,
    explain: (error: unknown) => Error,
  ): Promise<z.output<S>>;
}

/** The {@link StoreContext} of one table. */
export const createStoreContext = (
  tableName: string,
  client: DynamoDBClient,
  clock: () => Date,
): StoreContext => ({
  tableName,
  client,
  clock,
  getOne: async (schema, input) => {
    const item = (await client.send(new GetItemCommand(input))).Item;
    return item ? fromItem(schema, item) : undefined;
  },
  queryPage: async (schema, input) => {
    const response = await client.send(new QueryCommand(input));
    const cursor = encodeCursor(response.LastEvaluatedKey);
    const items = (response.Items ?? []).map((item) => fromItem(schema, item));
    return cursor === undefined ? { items } : { items, cursor };
  },
  transact: async (input, explain) => {
    try {
      await sendTransaction(client, input);
    } catch (error) {
      throw explain(cancellationReasons(error), error) ?? error;
    }
  },
  updateItem: async (schema, input, explain) => {
    try {
      const response = await client.send(new UpdateItemCommand(input));
      return fromItem(schema, response.Attributes ?? {});
    } catch (error) {
      throw explain(error);
    }
  },
});

/** Every item of a paginated list, page after page, following the cursors. */
export async function* iterate<I extends { cursor?: string }, T>(
  list: (input: I) => Promise<Page<T>>,
  input: IterateInput<I>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const page = await list({ ...input, cursor } as I);
    yield* page.items;
    cursor = page.cursor;
  } while (cursor !== undefined);
}

/**
 * The item a change applies to, checked to exist and, when `expectedRev` is given, to be
 * at the revision the caller read.
 */
export const expectCurrent = <T extends { readonly rev: number }>(
  entityType: string,
  id: string,
  current: T | undefined,
  expectedRev: number | undefined,
): T => {
  if (!current) throw new NotFoundError(entityType, id);
  if (expectedRev !== undefined && current.rev !== expectedRev) {
    throw new StaleRevisionError(entityType, id, expectedRev, current.rev);
  }
  return current;
};

/** The revision of the first action's item in a cancelled transaction, if DynamoDB returned it. */
export const revAtFirstAction = (reasons: CancellationReason[] | undefined): number | undefined =>
  reasons?.[0]?.item?.rev as number | undefined;

/**
 * Explains a cancelled transaction whose condition failed at one of `actions` (the item's
 * revision check) as a stale revision, with the revision DynamoDB returned.
 */
export const staleRevisionAt =
  (
    entityType: string,
    id: string,
    expectedRev: number,
    actions: readonly number[],
  ): ExplainCancellation =>
  (reasons, error) =>
    actions.some((action) => conditionFailedAt(reasons, action))
      ? new StaleRevisionError(entityType, id, expectedRev, revAtFirstAction(reasons), {
          cause: error,
        })
      : undefined;

/** Turns a failed single-item condition into "missing" or "changed since read". */
export const staleOrMissing = (
  entityType: string,
  id: string,
  expectedRev: number,
  error: unknown,
): Error => {
  if (!(error instanceof ConditionalCheckFailedException)) return error as Error;
  if (!error.Item) return new NotFoundError(entityType, id, { cause: error });
  const actual = unmarshall(error.Item).rev;
  return new StaleRevisionError(entityType, id, expectedRev, actual as number, { cause: error });
};
