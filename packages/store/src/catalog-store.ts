import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  EntityType,
  type Product,
  type ProductView,
  productSchema,
  productViewSchema,
  type Session,
  sessionSchema,
} from '@pipeline/model';
import type * as z from 'zod';
import {
  buildCreateSessionParams,
  buildGetProductParams,
  buildGetSessionParams,
  buildListProductsByCategoryParams,
  buildListRecentProductViewsParams,
  buildPutProductParams,
  buildRecordProductViewParams,
  buildRevokeSessionParams,
  isSessionLive,
} from './catalog.js';
import { type StoreContext, staleOrMissing } from './context.js';
import { AlreadyExistsError } from './errors.js';
import { fromItem } from './items.js';
import type { Page } from './schemas.js';
import type {
  CreateSessionInput,
  ListProductsByCategoryInput,
  ListRecentProductViewsInput,
  PutProductInput,
  RecordProductViewInput,
} from './validation.js';

/** Default lifetime of a recorded product view: one day. */
export const DEFAULT_PRODUCT_VIEW_TTL_SECONDS = 24 * 3600;

/** The products of the store, by id and by category. */
export interface ProductStore {
  /** Creates a product, or replaces it at `expectedRev`. */
  put(input: PutProductInput): Promise<Product>;
  /** A product, or `undefined`. */
  get(productId: string): Promise<Product | undefined>;
  /** A page of the products in one category, by product id. */
  listByCategory(input: ListProductsByCategoryInput): Promise<Page<Product>>;
}

/** The sessions of the store, which TTL removes once they expire. */
export interface SessionStore {
  /** Creates a session that expires `ttlSeconds` from now. */
  create(input: CreateSessionInput): Promise<Session>;
  /** A live session, or `undefined`: one past its ttl counts as absent even before TTL deletes it. */
  get(sessionId: string): Promise<Session | undefined>;
  /** Deletes a session; says whether there was one. */
  revoke(sessionId: string): Promise<boolean>;
}

/** A product view to record; the store picks a `viewId` when none is given. */
export type RecordViewInput = Omit<RecordProductViewInput, 'viewId'> & { readonly viewId?: string };

/** The product views of the store, which TTL removes after the store's view lifetime. */
export interface ProductViewStore {
  /** Records one product view, which TTL removes after the store's view lifetime. */
  record(input: RecordViewInput): Promise<ProductView>;
  /** A page of a product's views, newest first; `since` defaults to the start of the view lifetime. */
  listRecent(input: ListRecentProductViewsInput): Promise<Page<ProductView>>;
}

/** Puts an item only if absent and parses it; an existing one fails with AlreadyExistsError. */
const putNew = async <S extends z.ZodType>(
  client: DynamoDBClient,
  schema: S,
  params: PutItemCommandInput,
  entityType: string,
  id: string,
): Promise<z.output<S>> => {
  try {
    await client.send(new PutItemCommand(params));
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new AlreadyExistsError(entityType, id, { cause: error });
    }
    throw error;
  }
  return fromItem(schema, params.Item ?? {});
};

/** The {@link ProductStore} of a table. */
export const createProductStore = (context: StoreContext): ProductStore => {
  const { tableName, clock, getOne, queryPage, updateItem } = context;
  return {
    put: async (input) =>
      updateItem(productSchema, buildPutProductParams(tableName, input, clock()), (error) =>
        input.expectedRev === undefined && error instanceof ConditionalCheckFailedException
          ? new AlreadyExistsError(EntityType.product, input.productId, { cause: error })
          : staleOrMissing(EntityType.product, input.productId, input.expectedRev ?? 0, error),
      ),

    get: async (productId) => getOne(productSchema, buildGetProductParams(tableName, productId)),

    listByCategory: async (input) =>
      queryPage(productSchema, buildListProductsByCategoryParams(tableName, input)),
  };
};

/** The {@link SessionStore} of a table. */
export const createSessionStore = (context: StoreContext): SessionStore => {
  const { tableName, client, clock, getOne } = context;
  return {
    create: async (input) =>
      putNew(
        client,
        sessionSchema,
        buildCreateSessionParams(tableName, input, clock()),
        EntityType.session,
        input.sessionId,
      ),

    async get(sessionId) {
      const session = await getOne(sessionSchema, buildGetSessionParams(tableName, sessionId));
      return session && isSessionLive(session, clock()) ? session : undefined;
    },

    async revoke(sessionId) {
      const response = await client.send(
        new DeleteItemCommand(buildRevokeSessionParams(tableName, sessionId)),
      );
      return response.Attributes !== undefined;
    },
  };
};

/** The {@link ProductViewStore} of a table, whose views live `viewTtlSeconds`. */
export const createProductViewStore = (
  { tableName, client, clock, queryPage }: StoreContext,
  viewTtlSeconds: number = DEFAULT_PRODUCT_VIEW_TTL_SECONDS,
): ProductViewStore => ({
  record: async (input) => {
    const view = { ...input, viewId: input.viewId ?? randomUUID() };
    return putNew(
      client,
      productViewSchema,
      buildRecordProductViewParams(tableName, view, clock(), viewTtlSeconds),
      EntityType.productView,
      view.viewId,
    );
  },

  listRecent: async (input) =>
    queryPage(
      productViewSchema,
      buildListRecentProductViewsParams(tableName, {
        ...input,
        since: input.since ?? new Date(clock().getTime() - viewTtlSeconds * 1000).toISOString(),
      }),
    ),
});
