import {
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import { EntityType, type ItemKey, keys } from '@pipeline/model';
import { forEachLimited } from '@pipeline/pipeline';
import { batchGetItems } from '@pipeline/store';
import {
  type DocumentWrite,
  orderMarker,
  projectOrder,
  type SourceItem,
  userMarkerVersion,
} from './documents.js';
import { SearchRequestError } from './errors.js';
import type { SearchIndexNames } from './indices.js';
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
  /**
   * Where to read back deleted customers' marker versions. Without it, an order of a
   * customer deleted in an earlier batch falls back to C as its user component.
   */
  readonly search?: IndexedState;
}

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

/** Where {@link projectOrders} reads back what the index remembers of deleted customers. */
export interface IndexedState {
  /** Realtime GET by id is all it needs. */
  readonly client: Pick<Client, 'get'>;
  readonly names: SearchIndexNames;
}

/** A document by id through the write alias (realtime GET), or `undefined` when absent. */
const getIndexed = async (
  search: IndexedState,
  kind: 'orders' | 'users',
  id: string,
): Promise<Record<string, unknown> | undefined> => {
  try {
    const response = await search.client.get({ index: search.names[kind].write, id });
    return (response.body as { _source?: Record<string, unknown> })._source;
  } catch (error) {
    if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
    throw new SearchRequestError(
      `get ${kind}/${id}`,
      (error as { meta?: { statusCode?: number } }).meta?.statusCode,
      error instanceof Error ? error.message : String(error),
      { cause: error },
    );
  }
};

/**
 * The deleted-marker version of a customer whose profile is gone, as far as anything
 * knows it: their REMOVE in this batch (exact), their marker in the users index (exact), or
 * else the order's own document (a lower bound: the user component it was written with,
 * plus one if it still carries the customer's name). `undefined` when nothing is known; the
 * version then falls back to C, which is enough unless the customer changed their name
 * or email after placing the order. The two documents bound D only if the profile is
 * still found gone by a read made after them: {@link projectOrders} reads it again.
 *
 * @example
 * deletedUserVersionOf({ removedRev: 7 }, undefined, undefined) // 8
 */
export const deletedUserVersionOf = (
  customer: Pick<CustomerTarget, 'removedRev'> | undefined,
  userDocument: Record<string, unknown> | undefined,
  orderDocument: Record<string, unknown> | undefined,
  incarnation?: { readonly userId: string; readonly createdAt: string },
): number | undefined => {
  if (customer?.removedRev !== undefined) return userMarkerVersion(customer.removedRev);
  if (userDocument?.deleted === true && typeof userDocument.version === 'number')
    return userDocument.version;
  const revs = orderDocument?.revs as { user?: unknown } | undefined;
  if (
    orderDocument &&
    orderDocument.deleted !== true &&
    typeof revs?.user === 'number' &&
    (!incarnation ||
      (orderDocument.userId === incarnation.userId &&
        orderDocument.createdAt === incarnation.createdAt))
  )
    return revs.user + (orderDocument.customerName === undefined ? 0 : 1);
  return undefined;
};

/**
 * Re-projects order documents from consistent reads of the table's current state: each
 * customer's partition by one paginated Query (their order headers, then their profile),
 * each order's partition by one Query (its ref, which names the id's current incarnation,
 * and its lines), then the remaining headers by BatchGetItem, and after them the remaining
 * profiles (so a profile is never read before the header it is combined with). An order
 * whose header is gone gets a marker when this batch deleted it, and nothing otherwise
 * (its own REMOVE record writes the marker, or already did). A REMOVE of a header that is
 * no longer the id's current incarnation re-projects the current one instead. For a
 * customer whose profile is gone, their deleted-marker version is read back from the
 * index (`search`), one realtime GET per such customer (and per order of theirs when the
 * marker has been purged), and their profile is read once more after those GETs.
 *
 * @example
 * const { writes, failures } = await projectOrders(plan.orders, plan.customers, { dynamodb, tableName, search });
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
  /** Where each order's current incarnation lives, once known. */
  const known = new Map<string, { userId?: string; createdAt?: string }>();
  for (const [orderId, target] of orders)
    known.set(orderId, { userId: target.userId, createdAt: target.createdAt });

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
          // The ref names the id's current incarnation, which a record's key may not be:
          // the id can have been deleted and placed again, by another customer too.
          if (typeof item.userId === 'string' && typeof item.createdAt === 'string') {
            known.set(orderId, { userId: item.userId, createdAt: item.createdAt });
            const header = headers.get(orderId);
            if (header && (header.userId !== item.userId || header.createdAt !== item.createdAt))
              headers.delete(orderId);
          }
        } else if (item.entityType === EntityType.orderItem) mine.push(item);
      }
      lines.set(orderId, mine);
    } catch (error) {
      failures.set(orderId, error);
    }
  });

  const batchGet = async (wanted: Map<string, ItemKey>, onFailure: (error: unknown) => void) => {
    if (wanted.size === 0) return [];
    try {
      reads += Math.ceil(wanted.size / 100);
      return await batchGetItems(options.dynamodb, options.tableName, [...wanted.values()]);
    } catch (error) {
      onFailure(error);
      return [];
    }
  };
  const failAll = (error: unknown) => {
    for (const orderId of known.keys()) if (!failures.has(orderId)) failures.set(orderId, error);
  };

  const wantedHeaders = new Map<string, ItemKey>();
  for (const [orderId, at] of known) {
    if (failures.has(orderId) || headers.has(orderId) || !at.userId || !at.createdAt) continue;
    const key = keys.order(at.userId, at.createdAt, orderId);
    wantedHeaders.set(keyString(key), key);
  }
  const fetched = new Set<string>();
  for (const item of await batchGet(wantedHeaders, failAll)) {
    if (item.entityType === EntityType.order && typeof item.orderId === 'string') {
      headers.set(item.orderId, item);
      fetched.add(item.orderId);
    }
  }

  const customerOf = (orderId: string): string | undefined => {
    const header = headers.get(orderId);
    if (header) return typeof header.userId === 'string' ? header.userId : undefined;
    return orders.get(orderId)?.deletedHeader?.userId;
  };
  const wantedProfiles = new Map<string, ItemKey>();
  for (const orderId of known.keys()) {
    if (failures.has(orderId)) continue;
    const userId = customerOf(orderId);
    if (userId && (!profiles.has(userId) || fetched.has(orderId))) {
      const key = keys.user(userId);
      wantedProfiles.set(keyString(key), key);
    }
  }
  const found = await batchGet(wantedProfiles, failAll);
  for (const key of wantedProfiles.values()) profiles.set(key.PK.slice('USER#'.length), null);
  for (const item of found)
    if (item.SK === 'PROFILE' && typeof item.userId === 'string') profiles.set(item.userId, item);

  /** Deleted-marker versions of customers without a profile, by order id. */
  const deletedUserVersions = new Map<string, number | undefined>();
  const userDocuments = new Map<string, Record<string, unknown> | undefined>();
  const orphans: string[] = [];
  for (const orderId of known.keys()) {
    if (failures.has(orderId)) continue;
    const userId = customerOf(orderId);
    if (userId === undefined || profiles.get(userId)) continue;
    if (customers.get(userId)?.removedRev !== undefined)
      deletedUserVersions.set(
        orderId,
        deletedUserVersionOf(customers.get(userId), undefined, undefined),
      );
    else orphans.push(orderId);
  }
  const { search } = options;
  if (search && orphans.length > 0) {
    const users = [...new Set(orphans.map((orderId) => customerOf(orderId)!))];
    const userFailures = new Map<string, unknown>();
    await forEachLimited(users, concurrency, async (userId) => {
      try {
        userDocuments.set(userId, await getIndexed(search, 'users', userId));
      } catch (error) {
        userFailures.set(userId, error);
      }
    });
    await forEachLimited(orphans, concurrency, async (orderId) => {
      const userId = customerOf(orderId)!;
      const failure = userFailures.get(userId);
      if (failure !== undefined) {
        failures.set(orderId, failure);
        return;
      }
      const userDocument = userDocuments.get(userId);
      try {
        const exact = deletedUserVersionOf(undefined, userDocument, undefined);
        if (exact !== undefined) {
          deletedUserVersions.set(orderId, exact);
          return;
        }
        const header = headers.get(orderId);
        const deleted = orders.get(orderId)?.deletedHeader;
        const incarnation = header
          ? { userId, createdAt: String(header.createdAt) }
          : { userId, createdAt: deleted!.createdAt };
        deletedUserVersions.set(
          orderId,
          deletedUserVersionOf(
            undefined,
            undefined,
            await getIndexed(search, 'orders', orderId),
            incarnation,
          ),
        );
      } catch (error) {
        failures.set(orderId, error);
      }
    });
    // Read the profiles again, after the index. What the index says of a customer (their
    // marker, or an order document with their name at rev R) is a lower bound of the
    // deleted-marker version D only for an absence seen after it: the name may come from a
    // profile re-created since the first read, whose projections must win. A profile still
    // absent now was deleted after every profile the index showed, so D > R; a profile
    // there now is the newest, and is projected as such.
    const again = new Map<string, ItemKey>();
    for (const userId of users) {
      const key = keys.user(userId);
      again.set(keyString(key), key);
    }
    const failOrphans = (error: unknown) => {
      for (const orderId of orphans) if (!failures.has(orderId)) failures.set(orderId, error);
    };
    for (const item of await batchGet(again, failOrphans))
      if (item.SK === 'PROFILE' && typeof item.userId === 'string') profiles.set(item.userId, item);
  }

  for (const orderId of known.keys()) {
    if (failures.has(orderId)) continue;
    try {
      const header = headers.get(orderId);
      const userId = customerOf(orderId);
      const profile = (userId && profiles.get(userId)) || undefined;
      const deletedUserVersion = deletedUserVersions.get(orderId);
      if (header) {
        writes.set(
          orderId,
          projectOrder({
            header,
            lines: lines.get(orderId) ?? [],
            user: profile,
            ...(deletedUserVersion === undefined ? {} : { deletedUserVersion }),
          }),
        );
        continue;
      }
      const deleted = orders.get(orderId)?.deletedHeader;
      if (deleted) writes.set(orderId, orderMarker(deleted, profile, deletedUserVersion));
      // Otherwise the header is gone and this batch did not delete it: the REMOVE record
      // that did writes (or already wrote) the marker; an older record has nothing to add.
    } catch (error) {
      failures.set(orderId, error);
    }
  }
  return { writes, failures, customerFailures, fannedOut, reads };
};
