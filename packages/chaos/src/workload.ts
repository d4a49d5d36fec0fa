import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { canTransition, EntityType, OrderStatus } from '@pipeline/model';
import { InvalidTransitionError, type Store } from '@pipeline/store';
import { UnexpectedOutcomeError } from './errors.js';
import type { Random } from './random.js';

/** Every operation the workload drives through the store. */
export const OperationKind = {
  createUser: 'createUser',
  renameUser: 'renameUser',
  deleteUser: 'deleteUser',
  createOrder: 'createOrder',
  advanceOrder: 'advanceOrder',
  invalidTransition: 'invalidTransition',
  deleteOrder: 'deleteOrder',
  viewProduct: 'viewProduct',
  createSession: 'createSession',
  revokeSession: 'revokeSession',
} as const;

/** One of the values of {@link OperationKind}. */
export type OperationKind = (typeof OperationKind)[keyof typeof OperationKind];

/** How often each operation is drawn, relative to the others. */
export const operationWeights: Readonly<Record<OperationKind, number>> = {
  createUser: 10,
  renameUser: 12,
  deleteUser: 2,
  createOrder: 16,
  advanceOrder: 14,
  invalidTransition: 5,
  deleteOrder: 5,
  viewProduct: 16,
  createSession: 8,
  revokeSession: 3,
};

/** Partition of the items no consumer can decode: no entity has keys of this type. */
export const POISON_PREFIX = 'POISON#';

const statuses = Object.values(OrderStatus);
const products = Array.from({ length: 12 }, (_, index) => `p${index + 1}`);
const names = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'];

interface UserModel {
  rev: number;
  live: boolean;
}
interface OrderModel {
  userId: string;
  status: OrderStatus;
  rev: number;
  live: boolean;
}

/** An item written to expire through TTL, and whether a user deleted it first. */
export interface ExpiringItem {
  readonly PK: string;
  readonly SK: string;
  readonly entityType: 'Session' | 'ProductView';
  /** Epoch seconds. */
  readonly ttl: number;
  /** Revoked (deleted by a user) before TTL removed it: must never be archived. */
  deletedByUser: boolean;
}

/** What the workload did, per operation kind, and what it expects of the pipeline. */
export interface WorkloadReport {
  readonly operations: Record<OperationKind, number>;
  /** Invalid transitions the store refused, as it must. */
  readonly refusedTransitions: number;
  /** Invalid transitions the store accepted: each is a failure. */
  readonly acceptedInvalidTransitions: number;
  readonly expiring: readonly ExpiringItem[];
  readonly poisonKeys: readonly { PK: string; SK: string }[];
}

/** The stores and clients the workload writes through. */
export interface WorkloadTargets {
  /** The store; product views it records live long. */
  readonly store: Store;
  /** The same table with a short product view lifetime, for views that expire. */
  readonly shortLivedViews: Store;
  /** Raw client for poison items. */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Lifetime of expiring sessions and views, in seconds. */
  readonly ttlSeconds: number;
  /** Revoke sessions past their expiry too, racing the TTL process. @default true */
  readonly revokeExpired?: boolean;
  /** Place a deleted order id again for any customer, not only its first. @default true */
  readonly recreateForAnyone?: boolean;
}

/**
 * The random operations of a chaos run, drawn from a seeded {@link Random} and applied one
 * at a time, so the same seed gives the same operations with the same outcomes. It keeps
 * a small model of what exists, to draw valid targets and to know which items must expire.
 */
export class Workload {
  readonly #random: Random;
  readonly #weights: Readonly<Record<OperationKind, number>>;
  readonly #targets: WorkloadTargets;
  readonly #users = new Map<string, UserModel>();
  readonly #orders = new Map<string, OrderModel>();
  readonly #sessions = new Map<string, ExpiringItem>();
  readonly #expiring: ExpiringItem[] = [];
  readonly #poison: { PK: string; SK: string }[] = [];
  readonly #operations = Object.fromEntries(
    Object.values(OperationKind).map((kind) => [kind, 0]),
  ) as Record<OperationKind, number>;
  #refused = 0;
  #accepted = 0;
  #next = 0;

  constructor(
    random: Random,
    weights: Readonly<Record<OperationKind, number>>,
    targets: WorkloadTargets,
  ) {
    this.#random = random;
    this.#weights = weights;
    this.#targets = targets;
  }

  #id(prefix: string): string {
    this.#next++;
    return `${prefix}${this.#next}`;
  }

  #pick<T>(entries: Map<string, T>, keep: (value: T) => boolean): [string, T] | undefined {
    const candidates = [...entries].filter(([, value]) => keep(value));
    return candidates.length === 0 ? undefined : this.#random.pick(candidates);
  }

  /** Draws and applies the next operation. */
  async step(): Promise<OperationKind> {
    const kind = this.#random.weighted(this.#weights);
    const done = await this.#apply(kind);
    this.#operations[done]++;
    return done;
  }

  async #apply(kind: OperationKind): Promise<OperationKind> {
    const { store } = this.#targets;
    const random = this.#random;
    switch (kind) {
      case OperationKind.createUser: {
        const deleted = this.#pick(this.#users, (user) => !user.live);
        // Re-creating a deleted user checks that revisions rise across delete and re-create.
        const userId = deleted && random.chance(0.3) ? deleted[0] : this.#id('u');
        const user = await store.users.create({
          userId,
          email: `${this.#id('mail')}@example.com`,
          name: `${random.pick(names)} ${random.pick(names)}`,
        });
        this.#users.set(userId, { rev: user.rev, live: true });
        return kind;
      }
      case OperationKind.renameUser: {
        const target = this.#pick(this.#users, (user) => user.live);
        if (!target) return this.#apply(OperationKind.createUser);
        const [userId, model] = target;
        const user = await store.users.update({
          userId,
          expectedRev: model.rev,
          name: `${random.pick(names)} ${random.pick(names)}`,
          ...(random.chance(0.2) ? { email: `${this.#id('mail')}@example.com` } : {}),
        });
        model.rev = user.rev;
        return kind;
      }
      case OperationKind.deleteUser: {
        const target = this.#pick(this.#users, (user) => user.live);
        if (!target) return this.#apply(OperationKind.createUser);
        await store.users.delete(target[0], target[1].rev);
        target[1].live = false;
        return kind;
      }
      case OperationKind.createOrder: {
        const owner = this.#pick(this.#users, (user) => user.live);
        if (!owner) return this.#apply(OperationKind.createUser);
        const anyone = this.#targets.recreateForAnyone !== false;
        const deleted = this.#pick(
          this.#orders,
          (order) => !order.live && (anyone || order.userId === owner[0]),
        );
        // Re-creating a deleted order id checks that its deleted-marker cannot hide it.
        const orderId = deleted && random.chance(0.3) ? deleted[0] : this.#id('o');
        const currency = random.pick(['EUR', 'USD']);
        const lines = random.int(1, 4);
        const pool = [...products];
        for (let index = pool.length - 1; index > 0; index--) {
          const other = random.int(0, index);
          [pool[index], pool[other]] = [pool[other]!, pool[index]!];
        }
        const chosen = pool.slice(0, lines);
        const { order } = await store.orders.create({
          userId: owner[0],
          orderId,
          items: chosen.map((productId) => ({
            productId,
            name: `Product ${productId}`,
            quantity: random.int(1, 5),
            unitPrice: { amount: random.int(50, 50_000), currency },
          })),
        });
        this.#orders.set(orderId, {
          userId: owner[0],
          status: order.status,
          rev: order.rev,
          live: true,
        });
        return kind;
      }
      case OperationKind.advanceOrder: {
        const target = this.#pick(
          this.#orders,
          (order) => order.live && nextStatuses(order).length > 0,
        );
        if (!target) return this.#apply(OperationKind.createOrder);
        const [orderId, model] = target;
        const order = await store.orders.updateStatus({
          userId: model.userId,
          orderId,
          expectedRev: model.rev,
          to: random.pick(nextStatuses(model)),
        });
        model.status = order.status;
        model.rev = order.rev;
        return kind;
      }
      case OperationKind.invalidTransition: {
        const target = this.#pick(this.#orders, (order) => order.live);
        if (!target) return this.#apply(OperationKind.createOrder);
        const [orderId, model] = target;
        const to = random.pick(statuses.filter((status) => !canTransition(model.status, status)));
        try {
          const order = await store.orders.updateStatus({
            userId: model.userId,
            orderId,
            expectedRev: model.rev,
            to,
          });
          this.#accepted++;
          model.status = order.status;
          model.rev = order.rev;
        } catch (error) {
          if (!(error instanceof InvalidTransitionError)) {
            throw new UnexpectedOutcomeError(
              'invalidTransition',
              `expected InvalidTransitionError for ${model.status} → ${to}`,
              { cause: error },
            );
          }
          this.#refused++;
        }
        return kind;
      }
      case OperationKind.deleteOrder: {
        const target = this.#pick(this.#orders, (order) => order.live);
        if (!target) return this.#apply(OperationKind.createOrder);
        const [orderId, model] = target;
        await store.orders.delete({ userId: model.userId, orderId, expectedRev: model.rev });
        model.live = false;
        return kind;
      }
      case OperationKind.viewProduct: {
        const expires = random.chance(0.5);
        const user = this.#pick(this.#users, (model) => model.live);
        const view = await (expires ? this.#targets.shortLivedViews : store).productViews.record({
          productId: random.pick(products),
          viewId: this.#id('v'),
          ...(user ? { userId: user[0] } : {}),
        });
        if (expires) {
          this.#expiring.push({
            PK: `PRODUCT#${view.productId}`,
            SK: `VIEW#${view.at}#${view.viewId}`,
            entityType: 'ProductView',
            ttl: view.ttl,
            deletedByUser: false,
          });
        }
        return kind;
      }
      case OperationKind.createSession: {
        const user = this.#pick(this.#users, (model) => model.live);
        const session = await store.sessions.create({
          sessionId: this.#id('s'),
          userId: user?.[0] ?? 'anonymous',
          ttlSeconds: this.#targets.ttlSeconds,
        });
        const item: ExpiringItem = {
          PK: `SESSION#${session.sessionId}`,
          SK: 'METADATA',
          entityType: 'Session',
          ttl: session.ttl,
          deletedByUser: false,
        };
        this.#sessions.set(session.sessionId, item);
        this.#expiring.push(item);
        return kind;
      }
      case OperationKind.revokeSession: {
        const soonest = Math.floor(Date.now() / 1000) + 1;
        const target = this.#pick(
          this.#sessions,
          (session) =>
            !session.deletedByUser &&
            (this.#targets.revokeExpired !== false || session.ttl > soonest),
        );
        if (!target) return this.#apply(OperationKind.createSession);
        // False means TTL removed it first: then it expired, and the archive must hold it.
        if (await store.sessions.revoke(target[0])) target[1].deletedByUser = true;
        this.#sessions.delete(target[0]);
        return kind;
      }
    }
  }

  /**
   * Writes an item whose key shape no entity has, but whose image claims to be an order so
   * that the consumers' filters let it through: decoding it fails in every consumer.
   */
  async poison(): Promise<void> {
    const key = { PK: `${POISON_PREFIX}${this.#id('x')}`, SK: 'POISON' };
    await this.#targets.client.send(
      new PutItemCommand({
        TableName: this.#targets.tableName,
        Item: { PK: { S: key.PK }, SK: { S: key.SK }, entityType: { S: EntityType.order } },
      }),
    );
    this.#poison.push(key);
  }

  /** What was done so far. */
  report(): WorkloadReport {
    return {
      operations: { ...this.#operations },
      refusedTransitions: this.#refused,
      acceptedInvalidTransitions: this.#accepted,
      expiring: this.#expiring,
      poisonKeys: [...this.#poison],
    };
  }
}

const nextStatuses = (order: OrderModel): OrderStatus[] =>
  statuses.filter((status) => canTransition(order.status, status));
