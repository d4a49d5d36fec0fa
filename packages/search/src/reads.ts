import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { EntityType, type ItemKey, keys } from '@pipeline/model';
import { batchGetItems } from '@pipeline/store';
import {
  type DocumentWrite,
  orderMarker,
  projectOrder,
  revOf,
  type SourceItem,
} from './documents.js';
import type { CustomerTarget, OrderTarget } from './plan.js';

/** What {@link projectOrders} made of the order targets. */
export interface OrderProjection {
  /** Documents (or markers) to write, by order id. */
  readonly writes: Map<string, DocumentWrite>;
  /** Orders that could not be read or projected, with the reason. */
  readonly failures: Map<string, unknown>;
  /** Customers whose partition could not be read, with the reason. */
  readonly customerFailures: Map<string, unknown>;
  /** The orders each customer target re-projects. */
  readonly fannedOut: Map<string, string[]>;
  /** DynamoDB requests made. */
  readonly reads: number;
}

/** Options of {@link projectOrders}. */
export interface ProjectOrdersOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** Queries in flight at once. @default 16 */
  readonly concurrency?: number;
}

/** Runs `work` over `items` with at most `limit` in flight; settles every one. */
export const forEachLimited = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

/** Every item of one partition, by consistent Query, page after page. */
const queryPartition = async (
  options: ProjectOrdersOptions,
  pk: string,
  count: () => void,
): Promise<SourceItem[]> => {
  const items: SourceItem[] = [];
  let startKey: QueryCommandOutput['LastEvaluatedKey'];
  do {
    count();
    const response = await options.dynamodb.send(
      new QueryCommand({
        TableName: options.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'PK' },
        ExpressionAttributeValues: marshall({ ':pk': pk }),
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of response.Items ?? []) items.push(unmarshall(item));
    startKey = response.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
};

const keyString = (key: ItemKey): string => `${key.PK}\u0000${key.SK}`;

/**
 * Re-projects order documents from a consistent read of the table's current state: each
 * customer's partition by one paginated Query (profile and order headers together), each
 * order's partition by one Query (ref and lines), and the remaining headers and profiles
 * by BatchGetItem. An order whose header is gone gets a marker when this batch deleted
 * it, and nothing otherwise (its own REMOVE record writes the marker, or already did).
 *
 * @example
 * const { writes, failures } = await projectOrders(plan.orders, plan.customers, { dynamodb, tableName });
 */
export const projectOrders = async (
  orders: ReadonlyMap<string, OrderTarget>,
  customers: ReadonlyMap<string, CustomerTarget>,
  options: ProjectOrdersOptions,
): Promise<OrderProjection> => {
  const concurrency = options.concurrency ?? 16;
  let reads = 0;
  const count = () => {
    reads++;
  };
  const writes = new Map<string, DocumentWrite>();
  const failures = new Map<string, unknown>();
  const customerFailures = new Map<string, unknown>();
  const fannedOut = new Map<string, string[]>();
  /** Profiles by user id; `null` when read and absent. */
  const profiles = new Map<string, SourceItem | null>();
  const headers = new Map<string, SourceItem>();
  const known = new Map<string, { userId?: string; createdAt?: string }>();
  for (const [orderId, target] of orders) known.set(orderId, target);

  await forEachLimited([...customers.keys()], concurrency, async (userId) => {
    try {
      const items = await queryPartition(options, keys.user(userId).PK, count);
      const mine: string[] = [];
      profiles.set(userId, null);
      for (const item of items) {
        if (item.SK === 'PROFILE') profiles.set(userId, item);
        else if (item.entityType === EntityType.order && typeof item.orderId === 'string') {
          headers.set(item.orderId, item);
          mine.push(item.orderId);
          if (!known.has(item.orderId)) known.set(item.orderId, {});
        }
      }
      fannedOut.set(userId, mine);
    } catch (error) {
      customerFailures.set(userId, error);
    }
  });

  const lines = new Map<string, SourceItem[]>();
  await forEachLimited([...known.keys()], concurrency, async (orderId) => {
    try {
      const items = await queryPartition(options, keys.orderRef(orderId).PK, count);
      const mine: SourceItem[] = [];
      for (const item of items) {
        if (item.SK === 'REF') {
          const at = known.get(orderId)!;
          if (typeof item.userId === 'string') at.userId ??= item.userId;
          if (typeof item.createdAt === 'string') at.createdAt ??= item.createdAt;
        } else if (item.entityType === EntityType.orderItem) mine.push(item);
      }
      lines.set(orderId, mine);
    } catch (error) {
      failures.set(orderId, error);
    }
  });

  const wanted = new Map<string, ItemKey>();
  for (const [orderId, at] of known) {
    if (failures.has(orderId)) continue;
    if (!headers.has(orderId) && at.userId && at.createdAt) {
      const key = keys.order(at.userId, at.createdAt, orderId);
      wanted.set(keyString(key), key);
    }
    const userId = at.userId ?? orders.get(orderId)?.deletedHeader?.userId;
    if (userId && !profiles.has(userId)) {
      const key = keys.user(userId);
      wanted.set(keyString(key), key);
    }
  }
  if (wanted.size > 0) {
    try {
      reads += Math.ceil(wanted.size / 100);
      const found = await batchGetItems(options.dynamodb, options.tableName, [...wanted.values()]);
      for (const key of wanted.values()) {
        if (key.SK === 'PROFILE') profiles.set(key.PK.slice('USER#'.length), null);
      }
      for (const item of found) {
        if (item.SK === 'PROFILE' && typeof item.userId === 'string')
          profiles.set(item.userId, item);
        else if (item.entityType === EntityType.order && typeof item.orderId === 'string')
          headers.set(item.orderId, item);
      }
    } catch (error) {
      for (const orderId of known.keys()) if (!failures.has(orderId)) failures.set(orderId, error);
    }
  }

  const userRevOf = (userId: string): number => {
    const profile = profiles.get(userId);
    if (profile) return revOf(profile);
    const removed = customers.get(userId)?.removedRev;
    return removed === undefined ? 0 : removed + 1;
  };

  for (const orderId of known.keys()) {
    if (failures.has(orderId)) continue;
    try {
      const header = headers.get(orderId);
      if (header) {
        const userId = header.userId as string;
        const profile = profiles.get(userId) ?? undefined;
        writes.set(
          orderId,
          projectOrder({
            header,
            lines: lines.get(orderId) ?? [],
            user: profile,
            userRevWhenAbsent: userRevOf(userId),
          }),
        );
        continue;
      }
      const deleted = orders.get(orderId)?.deletedHeader;
      if (deleted) {
        writes.set(
          orderId,
          orderMarker(
            orderId,
            deleted.userId,
            deleted.rev,
            userRevOf(deleted.userId),
            deleted.deletedAt,
          ),
        );
      }
      // Otherwise the header is gone and this batch did not delete it: the REMOVE record
      // that did writes (or already wrote) the marker; an older record has nothing to add.
    } catch (error) {
      failures.set(orderId, error);
    }
  }
  return { writes, failures, customerFailures, fannedOut, reads };
};
