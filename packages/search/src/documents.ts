/**
 * Documents and their external versions.
 *
 * Every document is projected from consistent reads of the table's CURRENT state, not from
 * the stream image that triggered it: a stream record only says which documents to
 * re-project. So a late or replayed record re-projects today's state and can never bring
 * back an old one; versions only have to order projections that race each other (two
 * lanes, parallelisation factor 2, a backfill) and deleted-markers.
 *
 * What the versions rely on (see packages/store/src/rev.ts): every write stamps the item's
 * `rev` = max(now in ms × 1000, previous + 1), so an item's rev rises with each write, and a
 * write in a later millisecond has a larger rev than any item written earlier. A new order
 * is stamped `createdAt` and `rev` from one clock reading, so C = createdAt × 1000 is the
 * first rev of that incarnation of the order id; its lines are written only with it, at C.
 *
 * A user document has one source item: its version is the user's `rev`, its marker rev + 1.
 *
 * An order document is built from its header (rev H), its lines (highest rev I, lines
 * above H being a later incarnation's and left out) and its customer's profile. Its version
 * is the SUM H + I + u, where the user component u is
 * - max(U, C − 1) while the profile exists (U its rev), and
 * - max(D, C) once it is gone, D being the user's deleted-marker version (last rev + 1),
 *   from the user's REMOVE in the same batch, the users index, or the order's own document.
 *   That is max(U', C − 1) + 1 for the profile's last rev U'; with D unknown, C alone still
 *   hides the name unless the customer changed it after ordering (U' ≥ C).
 *   What the index says of the customer only bounds D from below when it was read BEFORE
 *   the read that found the profile gone, so the projection reads the profile again after
 *   the index. Otherwise an order document that carries the name of a profile RE-CREATED
 *   meanwhile (rev R, written by another lane) would yield "D ≥ R + 1" and outrank every
 *   projection of the new profile, leaving its name out for good.
 * The clamp is at C − 1 so that a rename in the very millisecond of the order's creation
 * (rev C) still counts.
 * Why a sum and not max(H, I, U): the reads behind one projection are not one snapshot, and
 * two items written in the same millisecond share a rev. A max can tie between a projection
 * that read the old name and one that read the new (same max, different content), and the
 * tie keeps whichever landed first. The sum rises strictly with every component, so:
 * - a projection that read any component older, and none newer, has a smaller version;
 * - the projection that runs after the last write to any component reads every component
 *   at its latest and has the greatest version of all, so the index converges to it
 *   whatever order racing projections land in (a rename racing a status change cannot win
 *   with a stale status, nor lose its new name);
 * - a user delete raises u above every U a projection ever used (U ≤ D − 1), so the
 *   re-projection without the customer's name and email wins: personal data does not
 *   survive a user delete in search;
 * - a profile created again after a delete outranks its earlier life: it is stamped from the
 *   clock of a write made after the delete, a later millisecond than the deleted profile's last write (see
 *   packages/store/src/rev.ts; writers' clocks must agree that far, as they must for every
 *   rev), so its U is above that incarnation's D, and the newest profile wins over every
 *   projection that saw an earlier one or saw it gone;
 * - the clamp orders the id's incarnations by time whoever the customer is: every
 *   version of an earlier incarnation (its writes all in milliseconds before C₂) is below
 *   3·C₂ − 1, and every version of the next one is at least H₂ + I₂ + C₂ − 1 ≥ 3·C₂ − 1.
 *   Without it, an order id placed again by a customer whose profile is older would lose
 *   to the first customer's marker.
 * An order's deleted-marker has version 2·H + u + 1, H being the deleted header's rev and u
 * the user component at the marker's projection: above every version of that incarnation
 * (I ≤ H, and u only rises), and below 3·C₂ − 1 of the next one. A REMOVE of a header that is no
 * longer the id's current incarnation writes no marker: the current one is re-projected.
 *
 * Revs are epoch microseconds (about 1.8e15 today), so three of them stay below 2^53 (exact
 * in JavaScript numbers; OpenSearch itself allows about 9.2e18) until about 2065.
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
  /**
   * While the profile is gone: the customer's deleted-marker version (last rev + 1), or the
   * best lower bound known; `undefined` when nothing is known (see the top of the file).
   */
  readonly deletedUserVersion?: number;
}

/** The parts an order's version is composed from. */
export interface OrderVersionParts {
  /** The header's rev (H). */
  readonly order: number;
  /** The highest rev of the lines (I); 0 without lines. */
  readonly items: number;
  /** The profile's rev (U) while it exists, else the deleted-marker version known (D, 0 if none). */
  readonly user: number;
  /** Whether the profile is gone. */
  readonly userDeleted: boolean;
  /** The incarnation's first rev (C = createdAt in µs). */
  readonly created: number;
}

/** Revisions per millisecond: `createdAt` in ms times this is the rev a new order is stamped. */
const REVS_PER_MS = 1000;

/**
 * The first rev of an order incarnation: its `createdAt` in rev units.
 *
 * @example
 * createdRevOf({ createdAt: '2024-05-01T00:00:00.000Z' }) // 1_714_521_600_000_000
 */
export const createdRevOf = (header: SourceItem): number => {
  const ms = Date.parse(str(header, 'createdAt'));
  if (!Number.isSafeInteger(ms) || ms <= 0)
    throw new InvalidSourceItemError(describe(header), 'createdAt');
  return ms * REVS_PER_MS;
};

/**
 * The user component u of an order's version: max(U, C − 1) while the profile exists, and
 * max(D, C) once it is gone (see the top of the file).
 *
 * @example
 * userComponent({ user: 7, userDeleted: false, created: 10 }) // 9
 * userComponent({ user: 12, userDeleted: true, created: 10 }) // 12
 */
export const userComponent = (
  parts: Pick<OrderVersionParts, 'user' | 'userDeleted' | 'created'>,
): number =>
  parts.userDeleted ? Math.max(parts.user, parts.created) : Math.max(parts.user, parts.created - 1);

/**
 * The external version of an order document: H + I + u.
 *
 * @example
 * orderVersion({ order: 12, items: 10, user: 7, userDeleted: false, created: 10 }) // 31
 */
export const orderVersion = (parts: OrderVersionParts): number =>
  parts.order + parts.items + userComponent(parts);

/**
 * The version of a deleted order's marker, 2·H + u + 1: above every version its incarnation
 * ever had, below every version of the order id placed again.
 *
 * @example
 * orderMarkerVersion({ order: 12, user: 7, userDeleted: false, created: 10 }) // 34
 */
export const orderMarkerVersion = (
  parts: Pick<OrderVersionParts, 'order' | 'user' | 'userDeleted' | 'created'>,
): number => 2 * parts.order + userComponent(parts) + 1;

/**
 * The version of a deleted user's marker.
 *
 * @example
 * userMarkerVersion(7) // 8
 */
export const userMarkerVersion = (deletedRev: number): number => deletedRev + 1;

/**
 * Projects an order's current source items into its document and version. Lines are
 * listed by product id so that the same state always gives the same document; lines with a
 * rev above the header's belong to a later incarnation of the id (a torn read) and are left out.
 *
 * @example
 * projectOrder({ header, lines, user }) // { kind: 'orders', id: 'o1', version, source }
 */
export const projectOrder = (sources: OrderSources): DocumentWrite => {
  const { header, user } = sources;
  const order = revOf(header);
  const lines = sources.lines
    .filter((line) => revOf(line) <= order)
    .sort((a, b) => (str(a, 'productId') < str(b, 'productId') ? -1 : 1));
  let items = 0;
  for (const line of lines) items = Math.max(items, revOf(line));
  const revs = {
    order,
    user: user ? revOf(user) : (sources.deletedUserVersion ?? 0),
    items,
  };
  const version = orderVersion({ ...revs, userDeleted: !user, created: createdRevOf(header) });
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

/** What an order's deleted-marker is made from. */
export interface DeletedOrder {
  readonly orderId: string;
  readonly userId: string;
  /** The deleted header's rev and `createdAt`, from the REMOVE's old image. */
  readonly rev: number;
  readonly createdAt: string;
  readonly deletedAt: string;
}

/**
 * The marker of a deleted order, given its customer's profile as it is now (or, once gone,
 * the deleted-marker version known for them).
 *
 * @example
 * orderMarker({ orderId: 'o1', userId: 'u1', rev: 10, createdAt, deletedAt }, profile, undefined)
 */
export const orderMarker = (
  deleted: DeletedOrder,
  user: SourceItem | undefined,
  deletedUserVersion: number | undefined,
): DocumentWrite => {
  const version = orderMarkerVersion({
    order: deleted.rev,
    user: user ? revOf(user) : (deletedUserVersion ?? 0),
    userDeleted: !user,
    created: createdRevOf({
      PK: `USER#${deleted.userId}`,
      SK: `ORDER#${deleted.createdAt}#${deleted.orderId}`,
      createdAt: deleted.createdAt,
    }),
  });
  const { orderId, userId, deletedAt } = deleted;
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
