import { z } from 'zod';
import { EntityType, OrderStatus } from './entity-types.js';

/** Ids are URL-safe and never contain the key separator `#`. */
export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -');

/** Emails are stored lower-cased, which makes uniqueness case-insensitive. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((email) => email.toLowerCase());

/** ISO 4217 currency code. */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');

/** An amount in integer minor units (cents), never a float. */
export const minorUnitsSchema = z
  .number()
  .int('must be an integer number of minor units')
  .nonnegative()
  .max(Number.MAX_SAFE_INTEGER);

/** Money as integer minor units plus a currency code. */
export const moneySchema = z.object({ amount: minorUnitsSchema, currency: currencySchema });

/** Money as integer minor units plus a currency code. */
export type Money = z.infer<typeof moneySchema>;

/** A UTC timestamp in ISO 8601 with milliseconds, which sorts lexicographically. */
export const timestampSchema = z.iso.datetime({ offset: false, precision: 3 });

export const orderStatusSchema = z.enum(OrderStatus);

/** Attributes every item written by the store carries. */
export const auditedFields = {
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  /** A revision that rises with every write, including across delete and re-create. */
  rev: z.number().int().positive(),
};

export const userSchema = z.object({
  entityType: z.literal(EntityType.user),
  userId: idSchema,
  email: emailSchema,
  name: z.string().trim().min(1).max(200),
  loyaltyPoints: z.number().int().nonnegative(),
  ...auditedFields,
});
/** A user profile. */
export type User = z.infer<typeof userSchema>;

export const orderItemSchema = z.object({
  entityType: z.literal(EntityType.orderItem),
  orderId: idSchema,
  productId: idSchema,
  name: z.string().trim().min(1).max(200),
  quantity: z.number().int().positive().max(10_000),
  unitPrice: moneySchema,
  ...auditedFields,
});
/** One line of an order. */
export type OrderItem = z.infer<typeof orderItemSchema>;

export const orderSchema = z.object({
  entityType: z.literal(EntityType.order),
  orderId: idSchema,
  userId: idSchema,
  status: orderStatusSchema,
  total: moneySchema,
  itemCount: z.number().int().nonnegative(),
  flagged: z.boolean(),
  ...auditedFields,
});
/** An order header; its lines are {@link OrderItem}s. */
export type Order = z.infer<typeof orderSchema>;

export const productSchema = z.object({
  entityType: z.literal(EntityType.product),
  productId: idSchema,
  name: z.string().trim().min(1).max(200),
  category: idSchema,
  price: moneySchema,
  ...auditedFields,
});
/** A product in the catalogue. */
export type Product = z.infer<typeof productSchema>;

export const sessionSchema = z.object({
  entityType: z.literal(EntityType.session),
  sessionId: idSchema,
  userId: idSchema,
  /** Expiry in epoch seconds; DynamoDB's TTL deletes the item some time after it. */
  ttl: z.number().int().positive(),
  ...auditedFields,
});
/** A login session. */
export type Session = z.infer<typeof sessionSchema>;

export const productViewSchema = z.object({
  entityType: z.literal(EntityType.productView),
  productId: idSchema,
  viewId: idSchema,
  at: timestampSchema,
  userId: idSchema.optional(),
  ttl: z.number().int().positive(),
  ...auditedFields,
});
/** One raw product view event; the aggregates count these. */
export type ProductView = z.infer<typeof productViewSchema>;
