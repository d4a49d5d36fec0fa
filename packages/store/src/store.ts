import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  EntityType,
  type ItemKey,
  idSchema,
  type Order,
  type OrderItem,
  orderItemSchema,
  orderSchema,
  type Product,
  type ProductView,
  productSchema,
  productViewSchema,
  type Session,
  sessionSchema,
  type User,
  userSchema,
} from '@pipeline/model';
import type { z } from 'zod';
import { type BatchItem, type BatchPutOptions, batchPutItems } from './batch.js';
import { type BatchGetOptions, batchGetItems } from './batch-get.js';
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
import { encodeCursor } from './cursor.js';
import {
  AlreadyExistsError,
  EmailTakenError,
  InsufficientPointsError,
  NotFoundError,
  StaleRevisionError,
} from './errors.js';
import { type AttributeMap, fromItem } from './items.js';
import {
  buildCreateOrderParams,
  buildDeleteOrderParams,
  buildGetOrderParams,
  buildGetOrderRefParams,
  buildListFlaggedOrdersParams,
  buildListOrderItemsParams,
  buildListOrdersByStatusParams,
  buildListOrdersByUserParams,
  buildSetOrderFlagParams,
  buildUpdateOrderStatusParams,
  CreateOrderAction,
} from './orders.js';
import type { RetryOptions } from './retry.js';
import { nextRev } from './rev.js';
import { type OrderRef, orderRefSchema, type Page } from './schemas.js';
import { cancellationReasons, conditionFailedAt, sendTransaction } from './transactions.js';
import {
  buildCreateUserParams,
  buildDeleteUserParams,
  buildGetUserByEmailParams,
  buildGetUserParams,
  buildTransferPointsParams,
  buildUpdateUserParams,
} from './users.js';
import {
  type CreateOrderInput,
  type CreateSessionInput,
  type CreateUserInput,
  type DeleteOrderInput,
  deleteOrderInputSchema,
  type FlagOrderInput,
  flagOrderInputSchema,
  type ListFlaggedOrdersInput,
  type ListOrdersByStatusInput,
  type ListOrdersByUserInput,
  type ListProductsByCategoryInput,
  type ListRecentProductViewsInput,
  type PutProductInput,
  parseInput,
  type RecordProductViewInput,
  type TransferPointsInput,
  type UpdateOrderStatusInput,
  type UpdateUserInput,
  updateOrderStatusInputSchema,
  updateUserInputSchema,
} from './validation.js';

/** Default lifetime of a recorded product view: one day. */
export const DEFAULT_PRODUCT_VIEW_TTL_SECONDS = 24 * 3600;

/** Options of {@link createStore}. */
export interface StoreOptions {
  readonly tableName: string;
  /** @default a DynamoDBClient from the environment's region and credentials */
  readonly client?: DynamoDBClient;
  /** The clock; tests pin it. @default () => new Date() */
  readonly now?: () => Date;
  /** How long a product view lives before TTL removes it. @default 86400 */
  readonly productViewTtlSeconds?: number;
  /** Retry settings of the batch operations. */
  readonly retry?: RetryOptions;
}

/** An order with its lines. */
export interface OrderWithItems {
  readonly order: Order;
  readonly items: OrderItem[];
}

/** A product view to record; the store picks a `viewId` when none is given. */
export type RecordViewInput = Omit<RecordProductViewInput, 'viewId'> & { readonly viewId?: string };

/** Iteration inputs: a list's input without the cursor, which the iterator follows itself. */
type IterateInput<T> = Omit<T, 'cursor'>;

/**
 * The store: every access pattern of the single table, by Get and Query only.
 *
 * @example
 * const store = createStore({ tableName: 'orders' });
 * const user = await store.createUser({ userId: 'u1', email: 'ada@example.com', name: 'Ada' });
 * const { order } = await store.createOrder({ userId: 'u1', orderId: 'o1', items: [...] });
 * for await (const order of store.iterateOrdersByUser({ userId: 'u1' })) console.log(order.orderId);
 */
export const createStore = (options: StoreOptions) => {
  const { tableName } = options;
  const client = options.client ?? new DynamoDBClient({});
  const clock = options.now ?? (() => new Date());
  const viewTtlSeconds = options.productViewTtlSeconds ?? DEFAULT_PRODUCT_VIEW_TTL_SECONDS;

  const getItem = async (input: ReturnType<typeof buildGetUserParams>) =>
    (await client.send(new GetItemCommand(input))).Item;

  const queryPage = async <S extends z.ZodType>(
    schema: S,
    input: QueryCommandInput,
  ): Promise<Page<z.output<S>>> => {
    const response = await client.send(new QueryCommand(input));
    const cursor = encodeCursor(response.LastEvaluatedKey);
    const items = (response.Items ?? []).map((item) => fromItem(schema, item));
    return cursor === undefined ? { items } : { items, cursor };
  };

  async function* iterate<I extends { cursor?: string }, T>(
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

  /** Turns a failed single-item condition into "missing" or "changed since read". */
  const staleOrMissing = (
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

  const getUser = async (userId: string): Promise<User | undefined> => {
    const item = await getItem(buildGetUserParams(tableName, userId));
    return item ? fromItem(userSchema, item) : undefined;
  };

  const getOrderRef = async (orderId: string): Promise<OrderRef | undefined> => {
    const item = await getItem(buildGetOrderRefParams(tableName, orderId));
    return item ? fromItem(orderRefSchema, item) : undefined;
  };

  const getOrderById = async (orderId: string): Promise<Order | undefined> => {
    const ref = await getOrderRef(orderId);
    if (!ref) return undefined;
    const item = await getItem(buildGetOrderParams(tableName, ref));
    return item ? fromItem(orderSchema, item) : undefined;
  };

  const getOrder = async (userId: string, orderId: string): Promise<Order | undefined> => {
    parseInput(idSchema, userId);
    const order = await getOrderById(orderId);
    return order?.userId === userId ? order : undefined;
  };

  /** Reads the order a change applies to and checks the caller read its current revision. */
  const currentOrder = async (
    userId: string,
    orderId: string,
    expectedRev: number | undefined,
  ): Promise<Order> => {
    const order = await getOrder(userId, orderId);
    if (!order) throw new NotFoundError(EntityType.order, orderId);
    if (expectedRev !== undefined && order.rev !== expectedRev) {
      throw new StaleRevisionError(EntityType.order, orderId, expectedRev, order.rev);
    }
    return order;
  };

  const listOrderItems = async (orderId: string): Promise<OrderItem[]> => {
    const items: OrderItem[] = [];
    let startKey: AttributeMap | undefined;
    do {
      const response = await client.send(
        new QueryCommand(buildListOrderItemsParams(tableName, orderId, startKey)),
      );
      items.push(...(response.Items ?? []).map((item) => fromItem(orderItemSchema, item)));
      startKey = response.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  };

  const listOrdersByUser = async (input: ListOrdersByUserInput): Promise<Page<Order>> =>
    queryPage(orderSchema, buildListOrdersByUserParams(tableName, input));
  const listOrdersByStatus = async (input: ListOrdersByStatusInput): Promise<Page<Order>> =>
    queryPage(orderSchema, buildListOrdersByStatusParams(tableName, input));
  const listFlaggedOrders = async (input: ListFlaggedOrdersInput = {}): Promise<Page<Order>> =>
    queryPage(orderSchema, buildListFlaggedOrdersParams(tableName, input));

  const setFlag = async (input: FlagOrderInput, flagged: boolean): Promise<Order> => {
    const { userId, orderId, expectedRev } = parseInput(flagOrderInputSchema, input);
    const current = await currentOrder(userId, orderId, expectedRev);
    const params = buildSetOrderFlagParams(tableName, current, { expectedRev, flagged }, clock());
    try {
      const response = await client.send(new UpdateItemCommand(params));
      return fromItem(orderSchema, response.Attributes ?? {});
    } catch (error) {
      throw staleOrMissing(EntityType.order, orderId, expectedRev, error);
    }
  };

  return {
    tableName,
    client,

    /** Creates a user and reserves its email; fails with AlreadyExistsError or EmailTakenError. */
    async createUser(input: CreateUserInput): Promise<User> {
      const params = buildCreateUserParams(tableName, input, clock());
      try {
        await sendTransaction(client, params);
      } catch (error) {
        const reasons = cancellationReasons(error);
        const user = params.TransactItems?.[0]?.Put?.Item?.userId?.S ?? '';
        if (conditionFailedAt(reasons, 0)) {
          throw new AlreadyExistsError(EntityType.user, user, { cause: error });
        }
        if (conditionFailedAt(reasons, 1)) throw new EmailTakenError({ cause: error });
        throw error;
      }
      return fromItem(userSchema, params.TransactItems?.[0]?.Put?.Item ?? {});
    },

    /** A user by id, or `undefined`. */
    getUser,

    /** The user holding an email address (matched case-insensitively), or `undefined`. */
    async getUserByEmail(email: string): Promise<User | undefined> {
      const response = await client.send(
        new QueryCommand(buildGetUserByEmailParams(tableName, email)),
      );
      const item = response.Items?.[0];
      return item ? fromItem(userSchema, item) : undefined;
    },

    /** Changes a user's name or email at the revision the caller read; a new email moves the guard atomically. */
    async updateUser(input: UpdateUserInput): Promise<User> {
      const change = parseInput(updateUserInputSchema, input);
      const current = await getUser(change.userId);
      if (!current) throw new NotFoundError(EntityType.user, change.userId);
      if (current.rev !== change.expectedRev) {
        throw new StaleRevisionError(
          EntityType.user,
          change.userId,
          change.expectedRev,
          current.rev,
        );
      }
      const now = clock();
      const params = buildUpdateUserParams(tableName, current, input, now);
      try {
        await sendTransaction(client, params);
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (conditionFailedAt(reasons, 0) || conditionFailedAt(reasons, 1)) {
          const actual = reasons?.[0]?.item?.rev as number | undefined;
          throw actual === undefined && conditionFailedAt(reasons, 0)
            ? new NotFoundError(EntityType.user, change.userId, { cause: error })
            : new StaleRevisionError(EntityType.user, change.userId, change.expectedRev, actual, {
                cause: error,
              });
        }
        if (conditionFailedAt(reasons, 2)) throw new EmailTakenError({ cause: error });
        throw error;
      }
      return userSchema.parse({
        ...current,
        name: change.name ?? current.name,
        email: change.email ?? current.email,
        updatedAt: now.toISOString(),
        rev: nextRev(now, change.expectedRev),
      });
    },

    /** Deletes a user's profile and email guard together; `expectedRev` makes it conditional on that revision. */
    async deleteUser(userId: string, expectedRev?: number): Promise<void> {
      const current = await getUser(userId);
      if (!current) throw new NotFoundError(EntityType.user, userId);
      if (expectedRev !== undefined && current.rev !== expectedRev) {
        throw new StaleRevisionError(EntityType.user, userId, expectedRev, current.rev);
      }
      try {
        await sendTransaction(client, buildDeleteUserParams(tableName, current, current.rev));
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (conditionFailedAt(reasons, 0) || conditionFailedAt(reasons, 1)) {
          const actual = reasons?.[0]?.item?.rev as number | undefined;
          throw new StaleRevisionError(EntityType.user, userId, current.rev, actual, {
            cause: error,
          });
        }
        throw error;
      }
    },

    /** Moves loyalty points between two users atomically; on a low balance nothing changes. */
    async transferLoyaltyPoints(input: TransferPointsInput): Promise<void> {
      const params = buildTransferPointsParams(tableName, input, clock());
      try {
        await sendTransaction(client, params);
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (conditionFailedAt(reasons, 0)) {
          throw reasons?.[0]?.item
            ? new InsufficientPointsError(input.from, input.points, { cause: error })
            : new NotFoundError(EntityType.user, input.from, { cause: error });
        }
        if (conditionFailedAt(reasons, 1)) {
          throw new NotFoundError(EntityType.user, input.to, { cause: error });
        }
        throw error;
      }
    },

    /** Places an order with its lines in one transaction; the total is the sum of the lines. */
    async createOrder(input: CreateOrderInput): Promise<OrderWithItems> {
      const params = buildCreateOrderParams(tableName, input, clock());
      try {
        await sendTransaction(client, params);
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (conditionFailedAt(reasons, CreateOrderAction.userCheck)) {
          throw new NotFoundError(EntityType.user, input.userId, { cause: error });
        }
        if (reasons?.some((reason) => reason.code === 'ConditionalCheckFailed')) {
          throw new AlreadyExistsError(EntityType.order, input.orderId, { cause: error });
        }
        throw error;
      }
      const puts = (params.TransactItems ?? []).map((action) => action.Put?.Item);
      return {
        order: fromItem(orderSchema, puts[CreateOrderAction.order] ?? {}),
        items: puts
          .slice(CreateOrderAction.firstLine)
          .map((item) => fromItem(orderItemSchema, item ?? {})),
      };
    },

    /** One order by its owner and id, or `undefined` (also when another user owns it). */
    getOrder,

    /** One order by its id alone, through its ref, or `undefined`. */
    getOrderById,

    /** Every line of an order. */
    listOrderItems,

    /** A page of a user's orders, newest first, optionally between `from` and `to` (inclusive). */
    listOrdersByUser,

    /** Every order of a user, newest first, page after page. */
    iterateOrdersByUser: (input: IterateInput<ListOrdersByUserInput>) =>
      iterate(listOrdersByUser, input),

    /** A page of the orders in one status across all users, newest first. */
    listOrdersByStatus,

    /** Every order in one status, newest first, page after page. */
    iterateOrdersByStatus: (input: IterateInput<ListOrdersByStatusInput>) =>
      iterate(listOrdersByStatus, input),

    /** A page of flagged orders, newest first. */
    listFlaggedOrders,

    /** Every flagged order, newest first, page after page. */
    iterateFlaggedOrders: (input: IterateInput<ListFlaggedOrdersInput> = {}) =>
      iterate(listFlaggedOrders, input),

    /** Moves an order along an allowed transition at the revision the caller read; GSI1 follows in the same write. */
    async updateOrderStatus(input: UpdateOrderStatusInput): Promise<Order> {
      const { userId, orderId, expectedRev, to } = parseInput(updateOrderStatusInputSchema, input);
      const current = await currentOrder(userId, orderId, expectedRev);
      const params = buildUpdateOrderStatusParams(tableName, current, { expectedRev, to }, clock());
      try {
        const response = await client.send(new UpdateItemCommand(params));
        return fromItem(orderSchema, response.Attributes ?? {});
      } catch (error) {
        throw staleOrMissing(EntityType.order, orderId, expectedRev, error);
      }
    },

    /** Flags an order, which puts it in the sparse GSI2. */
    flagOrder: (input: FlagOrderInput): Promise<Order> => setFlag(input, true),

    /** Unflags an order, which takes it out of GSI2. */
    unflagOrder: (input: FlagOrderInput): Promise<Order> => setFlag(input, false),

    /** Deletes an order with its lines and ref in one transaction. */
    async deleteOrder(input: DeleteOrderInput): Promise<void> {
      const { userId, orderId, expectedRev } = parseInput(deleteOrderInputSchema, input);
      const current = await currentOrder(userId, orderId, expectedRev);
      const lines = await listOrderItems(orderId);
      const params = buildDeleteOrderParams(
        tableName,
        current,
        lines.map((line) => line.productId),
        current.rev,
      );
      try {
        await sendTransaction(client, params);
      } catch (error) {
        if (conditionFailedAt(cancellationReasons(error), 0)) {
          const actual = cancellationReasons(error)?.[0]?.item?.rev as number | undefined;
          throw new StaleRevisionError(EntityType.order, orderId, current.rev, actual, {
            cause: error,
          });
        }
        throw error;
      }
    },

    /** Creates a product, or replaces it at `expectedRev`. */
    async putProduct(input: PutProductInput): Promise<Product> {
      const params = buildPutProductParams(tableName, input, clock());
      try {
        const response = await client.send(new UpdateItemCommand(params));
        return fromItem(productSchema, response.Attributes ?? {});
      } catch (error) {
        if (input.expectedRev === undefined && error instanceof ConditionalCheckFailedException) {
          throw new AlreadyExistsError(EntityType.product, input.productId, { cause: error });
        }
        throw staleOrMissing(EntityType.product, input.productId, input.expectedRev ?? 0, error);
      }
    },

    /** A product, or `undefined`. */
    async getProduct(productId: string): Promise<Product | undefined> {
      const item = await getItem(buildGetProductParams(tableName, productId));
      return item ? fromItem(productSchema, item) : undefined;
    },

    /** A page of the products in one category, by product id. */
    listProductsByCategory: async (input: ListProductsByCategoryInput): Promise<Page<Product>> =>
      queryPage(productSchema, buildListProductsByCategoryParams(tableName, input)),

    /** Creates a session that expires `ttlSeconds` from now. */
    async createSession(input: CreateSessionInput): Promise<Session> {
      const params = buildCreateSessionParams(tableName, input, clock());
      try {
        await client.send(new PutItemCommand(params));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new AlreadyExistsError(EntityType.session, input.sessionId, { cause: error });
        }
        throw error;
      }
      return fromItem(sessionSchema, params.Item ?? {});
    },

    /** A live session, or `undefined`: one past its ttl counts as absent even before TTL deletes it. */
    async getSession(sessionId: string): Promise<Session | undefined> {
      const item = await getItem(buildGetSessionParams(tableName, sessionId));
      if (!item) return undefined;
      const session = fromItem(sessionSchema, item);
      return isSessionLive(session, clock()) ? session : undefined;
    },

    /** Deletes a session; says whether there was one. */
    async revokeSession(sessionId: string): Promise<boolean> {
      const response = await client.send(
        new DeleteItemCommand(buildRevokeSessionParams(tableName, sessionId)),
      );
      return response.Attributes !== undefined;
    },

    /** Records one product view, which TTL removes after the store's view lifetime. */
    async recordProductView(input: RecordViewInput): Promise<ProductView> {
      const params = buildRecordProductViewParams(
        tableName,
        { ...input, viewId: input.viewId ?? randomUUID() },
        clock(),
        viewTtlSeconds,
      );
      try {
        await client.send(new PutItemCommand(params));
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          throw new AlreadyExistsError(EntityType.productView, input.viewId ?? '', {
            cause: error,
          });
        }
        throw error;
      }
      return fromItem(productViewSchema, params.Item ?? {});
    },

    /** A page of a product's views, newest first; `since` defaults to the start of the view lifetime. */
    listRecentProductViews: async (
      input: ListRecentProductViewsInput,
    ): Promise<Page<ProductView>> =>
      queryPage(
        productViewSchema,
        buildListRecentProductViewsParams(tableName, {
          ...input,
          since: input.since ?? new Date(clock().getTime() - viewTtlSeconds * 1000).toISOString(),
        }),
      ),

    /** Writes items in batches of 25, retrying unprocessed ones; not conditional. */
    batchPutItems: (items: readonly BatchItem[], batchOptions: BatchPutOptions = {}) =>
      batchPutItems(client, tableName, items, { now: clock(), ...options.retry, ...batchOptions }),

    /** Reads items by key in batches of 100, retrying unprocessed keys. */
    batchGetItems: (itemKeys: readonly ItemKey[], batchOptions: BatchGetOptions = {}) =>
      batchGetItems(client, tableName, itemKeys, { ...options.retry, ...batchOptions }),
  };
};

/** The store returned by {@link createStore}. */
export type Store = ReturnType<typeof createStore>;
