import { EntityType } from '@pipeline/model';
import type { ChangeEvent } from '@pipeline/streams';
import {
  type DeletedOrder,
  type DocumentWrite,
  projectUser,
  revOf,
  userMarker,
} from './documents.js';

/** A user document to write, and the changes it stands for. */
export interface UserTarget {
  write: DocumentWrite | undefined;
  error: unknown;
  readonly sequenceNumbers: string[];
}

/** An order document to re-project from the table, and the changes that asked for it. */
export interface OrderTarget {
  /** Known from an order header change's key; item changes learn it from the order's ref. */
  userId?: string;
  createdAt?: string;
  /** Set when the batch holds a REMOVE of a header of this id: the marker's ingredients. */
  deletedHeader?: DeletedOrder;
  readonly sequenceNumbers: string[];
}

/** A customer whose orders all need re-projecting (a name or email change, a deletion). */
export interface CustomerTarget {
  /** The rev of the profile's deletion in this batch, while no later change re-created it. */
  removedRev?: number;
  readonly sequenceNumbers: string[];
}

/** Which documents a batch of changes touches. */
export interface SyncPlan {
  readonly users: Map<string, UserTarget>;
  readonly orders: Map<string, OrderTarget>;
  readonly customers: Map<string, CustomerTarget>;
}

const isoOf = (epochMs: number): string => new Date(epochMs).toISOString();

/** Whether a user change alters what order documents copy from the profile. */
const changesCustomerFields = (change: ChangeEvent): boolean => {
  if (change.kind !== 'modify') return true;
  const before = change.oldImage;
  const after = change.newImage;
  return before?.name !== after?.name || before?.email !== after?.email;
};

const getOrAdd = <K, V>(map: Map<K, V>, key: K, create: () => V): V => {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
};

/**
 * Works out, from a batch of changes in stream order, which documents to write. Users are
 * projected from their image (one source item, version = rev; the last change of a user
 * wins); orders are only named here and projected later from a consistent read, because
 * they depend on several items. A user's name or email change names every order of
 * theirs through a customer target.
 *
 * @example
 * const plan = planSync(changes);
 * plan.orders.get('o1')?.sequenceNumbers // the changes that touched order o1
 */
export const planSync = (changes: readonly ChangeEvent[]): SyncPlan => {
  const plan: SyncPlan = { users: new Map(), orders: new Map(), customers: new Map() };
  for (const change of changes) {
    const { entity, sequenceNumber } = change;
    switch (entity.entityType) {
      case EntityType.user: {
        const target = getOrAdd(plan.users, entity.userId, () => ({
          write: undefined,
          error: undefined,
          sequenceNumbers: [],
        }));
        target.sequenceNumbers.push(sequenceNumber);
        target.error = undefined;
        try {
          target.write =
            change.kind === 'remove'
              ? userMarker(
                  entity.userId,
                  revOf(change.oldImage ?? {}),
                  isoOf(change.approximateCreationTime),
                )
              : projectUser(change.newImage ?? {});
        } catch (error) {
          target.write = undefined;
          target.error = error;
        }
        if (changesCustomerFields(change)) {
          const customer = getOrAdd(plan.customers, entity.userId, () => ({ sequenceNumbers: [] }));
          customer.sequenceNumbers.push(sequenceNumber);
          const removedRev = change.oldImage?.rev;
          if (change.kind === 'remove' && typeof removedRev === 'number') {
            customer.removedRev = removedRev;
          } else delete customer.removedRev;
        }
        break;
      }
      case EntityType.order: {
        const target = getOrAdd(plan.orders, entity.orderId, () => ({ sequenceNumbers: [] }));
        target.sequenceNumbers.push(sequenceNumber);
        target.userId = entity.userId;
        target.createdAt = entity.createdAt;
        const rev = change.oldImage?.rev;
        if (
          change.kind === 'remove' &&
          typeof rev === 'number' &&
          rev > (target.deletedHeader?.rev ?? 0)
        ) {
          target.deletedHeader = {
            orderId: entity.orderId,
            userId: entity.userId,
            rev,
            createdAt: entity.createdAt,
            deletedAt: isoOf(change.approximateCreationTime),
          };
        }
        break;
      }
      case EntityType.orderItem: {
        const target = getOrAdd(plan.orders, entity.orderId, () => ({ sequenceNumbers: [] }));
        target.sequenceNumbers.push(sequenceNumber);
        break;
      }
      default:
        // The event source mapping's filter lets only users, orders and their lines through.
        break;
    }
  }
  return plan;
};
