import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ItemKey } from '@pipeline/model';
import { type BatchItem, type BatchPutOptions, batchPutItems } from './batch.js';
import { type BatchGetOptions, batchGetItems } from './batch-get.js';
import {
  createProductStore,
  createProductViewStore,
  createSessionStore,
  type ProductStore,
  type ProductViewStore,
  type SessionStore,
} from './catalog-store.js';
import { createStoreContext } from './context.js';
import { createOrderStore, type OrderStore } from './orders-store.js';
import type { RetryOptions } from './retry.js';
import { createUserStore, type UserStore } from './users-store.js';

export {
  DEFAULT_PRODUCT_VIEW_TTL_SECONDS,
  type ProductStore,
  type ProductViewStore,
  type RecordViewInput,
  type SessionStore,
} from './catalog-store.js';
export type { IterateInput } from './context.js';
export type { OrderStore, OrderWithItems } from './orders-store.js';
export type { UserStore } from './users-store.js';

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

/** Raw items of any entity, in bulk: no conditions, no entity checks beyond keys and shape. */
export interface ItemStore {
  /** Writes items in batches of 25, retrying unprocessed ones; not conditional. */
  batchPut(items: readonly BatchItem[], options?: BatchPutOptions): Promise<void>;
  /** Reads items by key in batches of 100, retrying unprocessed keys. */
  batchGet(
    itemKeys: readonly ItemKey[],
    options?: BatchGetOptions,
  ): Promise<Record<string, unknown>[]>;
}

/** The store: every access pattern of the single table, by Get and Query only, grouped by entity. */
export interface Store {
  /** The table every group reads and writes. */
  readonly tableName: string;
  /** The client every group sends through. */
  readonly client: DynamoDBClient;
  /** Users: profiles, email guards and loyalty points. */
  readonly users: UserStore;
  /** Orders with their lines, by user, by status and flagged. */
  readonly orders: OrderStore;
  /** Products, by id and by category. */
  readonly products: ProductStore;
  /** Sessions, live until their ttl. */
  readonly sessions: SessionStore;
  /** Product views, kept for the store's view lifetime. */
  readonly productViews: ProductViewStore;
  /** Raw items of any entity, in bulk. */
  readonly items: ItemStore;
}

/**
 * The {@link Store} of one table.
 *
 * @example
 * const store = createStore({ tableName: 'orders' });
 * const user = await store.users.create({ userId: 'u1', email: 'ada@example.com', name: 'Ada' });
 * const { order } = await store.orders.create({ userId: 'u1', orderId: 'o1', items: [...] });
 * for await (const order of store.orders.iterateByUser({ userId: 'u1' })) console.log(order.orderId);
 */
export const createStore = (options: StoreOptions): Store => {
  const { tableName } = options;
  const client = options.client ?? new DynamoDBClient({});
  const clock = options.now ?? (() => new Date());
  const context = createStoreContext(tableName, client, clock);
  return {
    tableName,
    client,
    users: createUserStore(context),
    orders: createOrderStore(context),
    products: createProductStore(context),
    sessions: createSessionStore(context),
    productViews: createProductViewStore(context, options.productViewTtlSeconds),
    items: {
      batchPut: (items, batchOptions = {}) =>
        batchPutItems(client, tableName, items, {
          now: clock(),
          ...options.retry,
          ...batchOptions,
        }),
      batchGet: (itemKeys, batchOptions = {}) =>
        batchGetItems(client, tableName, itemKeys, { ...options.retry, ...batchOptions }),
    },
  };
};
