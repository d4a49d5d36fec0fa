import { auditedFields, EntityType, emailSchema, idSchema } from '@pipeline/model';
import * as z from 'zod';

/** The item that reserves an email address for one user: `PK=EMAIL#<email>, SK=EMAIL`. */
export const emailGuardSchema = z.object({
  entityType: z.literal(EntityType.emailGuard),
  email: emailSchema,
  userId: idSchema,
  ...auditedFields,
});
/** The item that reserves an email address for one user. */
export type EmailGuard = z.infer<typeof emailGuardSchema>;

/**
 * Where an order lives, found by its id alone: `PK=ORDER#<orderId>, SK=REF`. Its
 * `createdAt` is the order's, which completes the order's sort key; it never changes, so
 * it cannot drift from the order.
 */
export const orderRefSchema = z.object({
  entityType: z.literal(EntityType.orderRef),
  orderId: idSchema,
  userId: idSchema,
  ...auditedFields,
});
/** Where an order lives, found by its id alone. */
export type OrderRef = z.infer<typeof orderRefSchema>;

/** One page of a list and the cursor of the next one, absent on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}
