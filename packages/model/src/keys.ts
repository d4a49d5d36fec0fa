import { EntityType } from './entity-types.js';

/** Separates the parts of a composite key. Ids can never contain it. */
export const KEY_SEPARATOR = '#';

/** The primary key of an item in the main table. */
export interface ItemKey {
  readonly PK: string;
  readonly SK: string;
}

/** A primary key plus the GSI attributes an entity projects. */
export interface IndexedKey extends ItemKey {
  readonly GSI1PK?: string;
  readonly GSI1SK?: string;
  readonly GSI2PK?: string;
  readonly GSI2SK?: string;
}

/** The partition of one user: their profile and their orders. */
export const userPk = (userId: string): string => `USER#${userId}`;

/** The order sort key, so that a user's orders sort by creation time. */
export const orderSk = (createdAt: string, orderId: string): string =>
  `ORDER#${createdAt}#${orderId}`;

/** Value of GSI2PK on flagged orders; unflagged orders leave GSI2 attributes out. */
export const FLAGGED_PARTITION = 'FLAGGED';

/** Keys of each entity, built from its identifying attributes. */
export const keys = {
  user: (userId: string): ItemKey => ({ PK: userPk(userId), SK: 'PROFILE' }),
  userByEmail: (email: string) => ({ GSI1PK: `EMAIL#${email}`, GSI1SK: 'PROFILE' }),
  emailGuard: (email: string): ItemKey => ({ PK: `EMAIL#${email}`, SK: 'EMAIL' }),
  order: (userId: string, createdAt: string, orderId: string): ItemKey => ({
    PK: userPk(userId),
    SK: orderSk(createdAt, orderId),
  }),
  orderByStatus: (status: string, createdAt: string, orderId: string) => ({
    GSI1PK: `STATUS#${status}`,
    GSI1SK: orderSk(createdAt, orderId),
  }),
  flaggedOrder: (createdAt: string, orderId: string) => ({
    GSI2PK: FLAGGED_PARTITION,
    GSI2SK: orderSk(createdAt, orderId),
  }),
  orderRef: (orderId: string): ItemKey => ({ PK: `ORDER#${orderId}`, SK: 'REF' }),
  orderItem: (orderId: string, productId: string): ItemKey => ({
    PK: `ORDER#${orderId}`,
    SK: `ITEM#${productId}`,
  }),
  product: (productId: string): ItemKey => ({ PK: `PRODUCT#${productId}`, SK: 'METADATA' }),
  productByCategory: (category: string, productId: string) => ({
    GSI1PK: `CAT#${category}`,
    GSI1SK: `PRODUCT#${productId}`,
  }),
  session: (sessionId: string): ItemKey => ({ PK: `SESSION#${sessionId}`, SK: 'METADATA' }),
  productView: (productId: string, at: string, viewId: string): ItemKey => ({
    PK: `PRODUCT#${productId}`,
    SK: `VIEW#${at}#${viewId}`,
  }),
} as const;

/** The identifying attributes recovered from a key, by entity. */
export type ParsedKey =
  | { entityType: typeof EntityType.user; userId: string }
  | { entityType: typeof EntityType.emailGuard; email: string }
  | { entityType: typeof EntityType.order; userId: string; createdAt: string; orderId: string }
  | { entityType: typeof EntityType.orderRef; orderId: string }
  | { entityType: typeof EntityType.orderItem; orderId: string; productId: string }
  | { entityType: typeof EntityType.product; productId: string }
  | { entityType: typeof EntityType.session; sessionId: string }
  | { entityType: typeof EntityType.productView; productId: string; at: string; viewId: string };

const splitOnce = (value: string, prefix: string): string | undefined =>
  value.startsWith(prefix) && value.length > prefix.length ? value.slice(prefix.length) : undefined;

/**
 * Recovers the entity and its ids from a primary key, or `undefined` when the key
 * belongs to no known entity. Stream consumers use it to type a change by its keys alone,
 * which works for REMOVE records too.
 *
 * @example
 * parseKey({ PK: 'USER#u1', SK: 'PROFILE' }) // { entityType: 'User', userId: 'u1' }
 */
export const parseKey = (key: { PK?: unknown; SK?: unknown }): ParsedKey | undefined => {
  const { PK, SK } = key;
  if (typeof PK !== 'string' || typeof SK !== 'string') return undefined;
  // indexOf and slice rather than split: stream consumers call this once per record.
  const cut = PK.indexOf(KEY_SEPARATOR);
  if (cut <= 0 || cut === PK.length - 1) return undefined;
  const pkType = PK.slice(0, cut);
  const pkId = PK.slice(cut + 1);
  switch (pkType) {
    case 'USER': {
      if (SK === 'PROFILE') return { entityType: EntityType.user, userId: pkId };
      const rest = splitOnce(SK, 'ORDER#');
      if (rest === undefined) return undefined;
      const cut = rest.lastIndexOf(KEY_SEPARATOR);
      if (cut <= 0 || cut === rest.length - 1) return undefined;
      return {
        entityType: EntityType.order,
        userId: pkId,
        createdAt: rest.slice(0, cut),
        orderId: rest.slice(cut + 1),
      };
    }
    case 'EMAIL':
      return SK === 'EMAIL' ? { entityType: EntityType.emailGuard, email: pkId } : undefined;
    case 'ORDER': {
      if (SK === 'REF') return { entityType: EntityType.orderRef, orderId: pkId };
      const productId = splitOnce(SK, 'ITEM#');
      return productId === undefined
        ? undefined
        : { entityType: EntityType.orderItem, orderId: pkId, productId };
    }
    case 'PRODUCT': {
      if (SK === 'METADATA') return { entityType: EntityType.product, productId: pkId };
      const rest = splitOnce(SK, 'VIEW#');
      if (rest === undefined) return undefined;
      const cut = rest.lastIndexOf(KEY_SEPARATOR);
      if (cut <= 0 || cut === rest.length - 1) return undefined;
      return {
        entityType: EntityType.productView,
        productId: pkId,
        at: rest.slice(0, cut),
        viewId: rest.slice(cut + 1),
      };
    }
    case 'SESSION':
      return SK === 'METADATA' ? { entityType: EntityType.session, sessionId: pkId } : undefined;
    default:
      return undefined;
  }
};
