/**
 * Documents and their external versions.
 *
 * Every document is projected from a consistent read of the table's CURRENT state, not
 * from the stream image that triggered it: a stream record only says which documents to
 * re-project. So a late or replayed record re-projects today's state, and can never
 * bring back an old one; versions only have to order projections that race each other
 * (two lanes, parallelisation factor 2, a backfill).
 *
 * A user document has one source item, so its version is the user's `rev`.
 *
 * An order document is built from three kinds of source item: the order header (rev H),
 * its lines (the highest line rev, I; 0 without lines) and the customer's profile (rev U;
 * 0 without one). Its version is H + U + I:
 * - each component only rises (`rev` rises with every write), so a projection that saw any
 *   component newer and none older has a strictly greater version: never a tie between
 *   two different contents, which a plain max(H, U, I) would allow;
 * - the projection that runs after the last write to any component reads every component
 *   at its latest, so it has the greatest version of all, and the index converges to it,
 *   whatever order racing projections land in. A user rename that re-projects an order
 *   while an order update is in flight therefore cannot win with a stale status, nor lose
 *   its new name: whichever projection read both changes wins.
 * Revs are epoch microseconds (about 1.8e15 today), so the sum of three stays below 2^53
 * (exact in JavaScript, and OpenSearch's limit is about 9.2e18) until about 2065.
 *
 * Deletes write a marker document instead of deleting, because OpenSearch forgets a
 * delete's version after `index.gc_deletes`:
 * - a user's marker has version rev + 1;
 * - an order's marker has version 2·H + 1 + U, where H is the deleted header's rev and U
 *   the profile's rev when the marker is written. The store writes lines only in the same
 *   transaction as their header and with the header's rev (the header holds the total and
 *   the line count, so any correct writer must), hence I ≤ H and every earlier version
 *   H' + U' + I' ≤ 2·H + U < marker. An order created again with the same id has H', I' ≥
 *   H + 1, so its version 2·H + 2 + U beats the marker.
 */
import { InvalidSourceItemError } from './errors.js';

/** Money as integer minor units plus currency. */
export interface IndexedMoney {
  readonly amount: number;
  readonly currency: string;
}

/** The searchable projection of an order. Customer name and email are the only personal data. */
export interface OrderDocument {
  readonly orderId: string;
  readonly userId: string;
  readonly status: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly total: IndexedMoney;
  readonly itemProductIds: string[];
  readonly itemNames: string[];
  readonly customerName?: string;
  readonly customerEmail?: string;
  /** The component revisions the version was composed from. */
  readonly revs: { readonly order: number; readonly user: number; readonly items: number };
  readonly deleted: false;
  readonly version: number;
}

/** The searchable projection of a user. */
export interface UserDocument {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
  readonly createdAt: string;
  readonly deleted: false;
  readonly version: number;
}

/** What stays of a deleted order or user: ids, when, and the version that keeps older writes out. */
export interface DeletedMarker {
  readonly orderId?: string;
  readonly userId?: string;
  readonly deleted: true;
  readonly deletedAt: string;
  readonly version: number;
}

/** One document write: where, which version, what. */
export interface DocumentWrite {
  readonly kind: 'orders' | 'users';
  readonly id: string;
  readonly version: number;
  readonly source: OrderDocument | UserDocument | DeletedMarker;
}

/** A table item as unmarshalled: plain values. */
export type SourceItem = Record<string, unknown>;

const describe = (item: SourceItem): string => `${String(item.PK)}/${String(item.SK)}`;

const str = (item: SourceItem, field: string): string => {
  const value = item[field];
  if (typeof value !== 'string') throw new InvalidSourceItemError(describe(item), field);
  return value;
};

const int = (item: SourceItem, field: string): number => {
  const value = item[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new InvalidSourceItemError(describe(item), field);
  return value;
};

/** The `rev` of a source item. */
export const revOf = (item: SourceItem): number => int(item, 'rev');

const money = (item: SourceItem, field: string): IndexedMoney => {
  const value = item[field] as { amount?: unknown; currency?: unknown } | undefined;
  if (
    typeof value?.amount !== 'number' ||
    !Number.isSafeInteger(value.amount) ||
    typeof value.currency !== 'string'
  )
    throw new InvalidSourceItemError(describe(item), field);
  return { amount: value.amount, currency: value.currency };
};

/** The current source items of one order document. */
export interface OrderSources {
  readonly header: SourceItem;
  readonly lines: readonly SourceItem[];
  /** The customer's profile; `undefined` when it no longer exists. */
  readonly user: SourceItem | undefined;
  /** The user component to use when the profile is gone: its deletion's rev + 1 (see the top of the file). */
  readonly userRevWhenAbsent?: number;
}

/**
 * The external version of an order document: header rev + user rev + highest line rev.
 *
 * @example
 * orderVersion({ order: 10, user: 7, items: 10 }) // 27
 */
export const orderVersion = (revs: { order: number; user: number; items: number }): number =>
  revs.order + revs.user + revs.items;

/**
 * The version of a deleted order's marker, above every version its live document ever had.
 *
 * @example
 * orderMarkerVersion(10, 7) // 28
 */
export const orderMarkerVersion = (deletedHeaderRev: number, userRev: number): number =>
  2 * deletedHeaderRev + 1 + userRev;

/**
 * The version of a deleted user's marker.
 *
 * @example
 * userMarkerVersion(7) // 8
 */
export const userMarkerVersion = (deletedRev: number): number => deletedRev + 1;

/**
 * Projects an order's current source items into its document and version. Lines are
 * listed by product id so that the same state always gives the same document.
 *
 * @example
 * projectOrder({ header, lines, user }) // { kind: 'orders', id: 'o1', version, source }
 */
export const projectOrder = (sources: OrderSources): DocumentWrite => {
  const { header, user } = sources;
  const lines = [...sources.lines].sort((a, b) =>
    str(a, 'productId') < str(b, 'productId') ? -1 : 1,
  );
  let items = 0;
  for (const line of lines) items = Math.max(items, revOf(line));
  const revs = {
    order: revOf(header),
    user: user ? revOf(user) : (sources.userRevWhenAbsent ?? 0),
    items,
  };
  const version = orderVersion(revs);
  const source: OrderDocument = {
    orderId: str(header, 'orderId'),
    userId: str(header, 'userId'),
    status: str(header, 'status'),
    createdAt: str(header, 'createdAt'),
    updatedAt: str(header, 'updatedAt'),
    total: money(header, 'total'),
    itemProductIds: lines.map((line) => str(line, 'productId')),
    itemNames: lines.map((line) => str(line, 'name')),
    ...(user ? { customerName: str(user, 'name'), customerEmail: str(user, 'email') } : {}),
    revs,
    deleted: false,
    version,
  };
  return { kind: 'orders', id: source.orderId, version, source };
};

/**
 * Projects a user item into its document; the version is its rev.
 *
 * @example
 * projectUser(userItem) // { kind: 'users', id: 'u1', version: userItem.rev, source }
 */
export const projectUser = (user: SourceItem): DocumentWrite => {
  const version = revOf(user);
  const source: UserDocument = {
    userId: str(user, 'userId'),
    name: str(user, 'name'),
    email: str(user, 'email'),
    createdAt: str(user, 'createdAt'),
    deleted: false,
    version,
  };
  return { kind: 'users', id: source.userId, version, source };
};

/**
 * The marker of a deleted order.
 *
 * @example
 * orderMarker('o1', 'u1', 10, 7, '2024-05-01T00:00:00.000Z')
 */
export const orderMarker = (
  orderId: string,
  userId: string,
  deletedHeaderRev: number,
  userRev: number,
  deletedAt: string,
): DocumentWrite => {
  const version = orderMarkerVersion(deletedHeaderRev, userRev);
  return {
    kind: 'orders',
    id: orderId,
    version,
    source: { orderId, userId, deleted: true, deletedAt, version },
  };
};

/**
 * The marker of a deleted user.
 *
 * @example
 * userMarker('u1', 7, '2024-05-01T00:00:00.000Z')
 */
export const userMarker = (
  userId: string,
  deletedRev: number,
  deletedAt: string,
): DocumentWrite => {
  const version = userMarkerVersion(deletedRev);
  return {
    kind: 'users',
    id: userId,
    version,
    source: { userId, deleted: true, deletedAt, version },
  };
};
