import * as z from 'zod';
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

/**
 * Characters refused in free text: C0 and C1 controls (U+0000–U+001F, U+007F–U+009F,
 * tab and newline included, since names are one line), the bidi embeddings, overrides
 * and isolates (U+202A–U+202E, U+2066–U+2069), which reorder what follows them on screen,
 * and lone surrogates, which are not Unicode text and break UTF-8 encoders downstream.
 */
const FORBIDDEN_TEXT_CHARACTER = /[\p{Cc}\u202A-\u202E\u2066-\u2069]|\p{Cs}/u;

/** `U+202E`, the way the refusal names a character. */
const codePointName = (character: string): string =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The one policy for free text the store writes (names of users, products and order
 * lines): a control character, a bidi control or a lone surrogate is refused, naming the
 * character and its position; what passes is NFC-normalised, so the same name typed on
 * two keyboards is stored, indexed and compared as one string, and then trimmed. The store
 * applies it to every write; the item schemas below read names as stored, so an item
 * written before this policy still reads.
 *
 * @example
 * textSchema(200).parse('Cafe\u0301 ') // 'Café'
 * textSchema(200).safeParse('Ada\u202E').success // false: U+202E at position 4
 */
export const textSchema = (maxLength: number) =>
  z
    .string()
    .superRefine((value, context) => {
      const found = FORBIDDEN_TEXT_CHARACTER.exec(value);
      if (found) {
        context.addIssue({
          code: 'custom',
          message: `must not contain control, bidi-control or lone surrogate characters (${codePointName(found[0])} at position ${found.index + 1})`,
        });
      }
    })
    .normalize('NFC')
    .trim()
    .min(1)
    .max(maxLength);

/** Longest name of a user, a product or an order line. */
export const MAX_NAME_LENGTH = 200;

/** The name of a user, a product or an order line: trimmed, not empty. */
const nameSchema = z.string().trim().min(1).max(MAX_NAME_LENGTH);

/** When DynamoDB's TTL may delete the item, in epoch seconds; it does so some time after. */
const ttlSchema = z.number().int().positive();

const isCalendarDay = (day: string): boolean => {
  const date = new Date(`${day}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
};

/**
 * A UTC calendar day as `YYYY-MM-DD`, the key of the daily aggregates. The day must exist:
 * `2026-02-30` and `2026-13-01` are refused, not rolled over into March or next year.
 *
 * @example
 * calendarDaySchema.parse('2028-02-29') // '2028-02-29'
 * calendarDaySchema.safeParse('2026-02-29').success // false
 */
export const calendarDaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day as YYYY-MM-DD')
  .refine(isCalendarDay, 'must be a day of the calendar, such as 2026-02-28');

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
  name: nameSchema,
  loyaltyPoints: z.number().int().nonnegative(),
  ...auditedFields,
});
/** A user profile. */
export type User = z.infer<typeof userSchema>;

export const orderItemSchema = z.object({
  entityType: z.literal(EntityType.orderItem),
  orderId: idSchema,
  productId: idSchema,
  name: nameSchema,
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
  name: nameSchema,
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
  ttl: ttlSchema,
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
  ttl: ttlSchema,
  ...auditedFields,
});
/** One raw product view event; the aggregates count these. */
export type ProductView = z.infer<typeof productViewSchema>;
