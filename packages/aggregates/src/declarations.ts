import { EntityType, OrderStatus } from '@pipeline/model';
import { InvalidSourceImageError } from './errors.js';
import type { AggregateDeclaration, CounterLocation, SourceImage } from './types.js';

const INTEGER = /^-?\d+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * Reads an integer exactly: a safe-integer `number`, a `bigint`, a decimal string, or the
 * SDK's `NumberValue` that the stream decoder yields for numbers beyond 2^53.
 */
export const toInteger = (value: unknown): bigint | undefined => {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  const text =
    typeof value === 'string'
      ? value
      : value !== null &&
          typeof value === 'object' &&
          typeof (value as { value?: unknown }).value === 'string'
        ? (value as { value: string }).value
        : undefined;
  return text !== undefined && INTEGER.test(text) ? BigInt(text) : undefined;
};

const need = <T>(aggregate: string, field: string, value: T | undefined, reason: string): T => {
  if (value === undefined) throw new InvalidSourceImageError(aggregate, field, reason);
  return value;
};

const matching = (pattern: RegExp, value: unknown): string | undefined =>
  typeof value === 'string' && pattern.test(value) ? value : undefined;

/** The UTC day (`YYYY-MM-DD`) of an ISO timestamp attribute. */
const dayOf = (aggregate: string, image: SourceImage, field: string): string =>
  need(
    aggregate,
    field,
    matching(
      DAY,
      typeof image[field] === 'string' ? (image[field] as string).slice(0, 10) : undefined,
    ),
    'must be an ISO 8601 UTC timestamp',
  );

const idOf = (aggregate: string, image: SourceImage, field: string): string =>
  need(aggregate, field, matching(ID, image[field]), 'must be an id');

const statusOf = (aggregate: string, image: SourceImage): string =>
  need(
    aggregate,
    'status',
    Object.values(OrderStatus).find((status) => status === image.status),
    'must be an order status',
  );

/** Order total as integer minor units and currency; never a float. */
const totalOf = (aggregate: string, image: SourceImage): { amount: bigint; currency: string } => {
  const total = image.total as { amount?: unknown; currency?: unknown } | undefined;
  const amount = need(
    aggregate,
    'total.amount',
    toInteger(total?.amount),
    'must be integer minor units',
  );
  if (amount < 0n)
    throw new InvalidSourceImageError(aggregate, 'total.amount', 'must not be negative');
  const currency = need(
    aggregate,
    'total.currency',
    matching(CURRENCY, total?.currency),
    'must be an ISO 4217 code',
  );
  return { amount, currency };
};

// A cancelled order's money is refunded: it stays counted as created, not as revenue or spend.
const revenueOf = (aggregate: string, image: SourceImage): bigint =>
  image.status === OrderStatus.cancelled ? 0n : totalOf(aggregate, image).amount;

const at = (partition: string, sort: string): CounterLocation => ({ partition, sort });

/** Field names of the counters, shared by the read API. */
export const Field = {
  orders: 'orders',
  views: 'views',
  revenue: (currency: string) => `revenue#${currency}`,
  spend: (currency: string) => `spend#${currency}`,
} as const;

/** Orders by status right now: a gauge, so transitions, deletes and expiries move it. */
export const ordersByStatus: AggregateDeclaration = {
  name: 'orders-by-status',
  kind: 'gauge',
  source: EntityType.order,
  shards: 4,
  contribute: (image) => [
    { counter: statusOf('orders-by-status', image), field: Field.orders, value: 1n },
  ],
  locate: (status) => at('STATUS', status),
};

/** Orders created and revenue per UTC day of `createdAt`, per currency. */
export const dailyOrders: AggregateDeclaration = {
  name: 'daily-orders',
  kind: 'lifetime',
  source: EntityType.order,
  shards: 4,
  contribute: (image) => {
    const name = 'daily-orders';
    const day = dayOf(name, image, 'createdAt');
    const { currency } = totalOf(name, image);
    return [
      { counter: day, field: Field.orders, value: 1n },
      { counter: day, field: Field.revenue(currency), value: revenueOf(name, image) },
    ];
  },
  locate: (day) => at('DAY', day),
};

/** Per user: orders placed and lifetime spend per currency. */
export const userTotals: AggregateDeclaration = {
  name: 'user-totals',
  kind: 'lifetime',
  source: EntityType.order,
  // A user's orders are few per second; the key space spreads by user already.
  shards: 1,
  contribute: (image) => {
    const name = 'user-totals';
    const userId = idOf(name, image, 'userId');
    const { currency } = totalOf(name, image);
    return [
      { counter: userId, field: Field.orders, value: 1n },
      { counter: userId, field: Field.spend(currency), value: revenueOf(name, image) },
    ];
  },
  locate: (userId) => at(`USER#${userId}`, 'TOTALS'),
};

/** Views per product, ever: a view's TTL expiry does not subtract. */
export const productViews: AggregateDeclaration = {
  name: 'product-views',
  kind: 'lifetime',
  source: EntityType.productView,
  shards: 8,
  contribute: (image) => [
    { counter: idOf('product-views', image, 'productId'), field: Field.views, value: 1n },
  ],
  locate: (productId) => at(`PRODUCT#${productId}`, 'VIEWS'),
};

/**
 * Views per product per UTC day, all products of a day in one partition so that the
 * day's top products are one Query.
 */
export const dailyProductViews: AggregateDeclaration = {
  name: 'daily-product-views',
  kind: 'lifetime',
  source: EntityType.productView,
  shards: 8,
  contribute: (image) => {
    const name = 'daily-product-views';
    return [
      {
        counter: `${dayOf(name, image, 'at')}#${idOf(name, image, 'productId')}`,
        field: Field.views,
        value: 1n,
      },
    ];
  },
  locate: (dayAndProduct) => {
    const cut = dayAndProduct.indexOf('#');
    return at(`VIEWS#${dayAndProduct.slice(0, cut)}`, dayAndProduct.slice(cut + 1));
  },
};

/**
 * Every aggregate the pipeline keeps.
 *
 * @example
 * for (const aggregate of aggregates) console.log(aggregate.name, aggregate.kind, aggregate.shards);
 */
export const aggregates: readonly AggregateDeclaration[] = [
  ordersByStatus,
  dailyOrders,
  userTotals,
  productViews,
  dailyProductViews,
];

/** Entity types that feed at least one of the given aggregates. */
export const sourceTypes = (declarations: readonly AggregateDeclaration[]): ReadonlySet<string> =>
  new Set(declarations.map((declaration) => declaration.source));
