import {
  emailSchema,
  idSchema,
  MAX_NAME_LENGTH,
  moneySchema,
  orderStatusSchema,
  textSchema,
  timestampSchema,
} from '@pipeline/model';
import * as z from 'zod';
import { ValidationError } from './errors.js';

const dotted = (path: readonly PropertyKey[]): string => path.map(String).join('.');

/** One issue per unknown field, each named by its own path, rather than one issue for the object. */
const validationIssues = (issues: readonly z.core.$ZodIssue[]) =>
  issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: dotted([...issue.path, key]),
          message: 'is not a field of this input',
        }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );

/**
 * Parses an input with a schema, turning every zod issue into a {@link ValidationError}
 * that names the field. The input schemas below are strict: a field they do not declare
 * (`isAdmin` on a user, `total` on an order) is refused by name, never dropped silently.
 *
 * @example
 * const { userId } = parseInput(z.strictObject({ userId: idSchema }), input);
 */
export const parseInput = <S extends z.ZodType>(schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(validationIssues(result.error.issues), { cause: result.error });
};

const revSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const nameSchema = textSchema(MAX_NAME_LENGTH);
const moneyInputSchema = z.strictObject(moneySchema.shape);
const pointsSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** Page size and cursor shared by every list. */
const pageSchema = {
  limit: z.number().int().min(1).max(1000).default(25),
  cursor: z.string().min(1).max(4096).optional(),
};

/** Most lines an order may have: a transaction holds 100 items, and the order, its ref and the user check take 3. */
export const MAX_ORDER_LINES = 97;

export const createUserInputSchema = z.strictObject({
  userId: idSchema,
  email: emailSchema,
  name: nameSchema,
  loyaltyPoints: pointsSchema.default(0),
});
/** What a caller gives to create a user. */
export type CreateUserInput = z.input<typeof createUserInputSchema>;

export const updateUserInputSchema = z
  .strictObject({
    userId: idSchema,
    expectedRev: revSchema,
    name: nameSchema.optional(),
    email: emailSchema.optional(),
  })
  .refine((input) => input.name !== undefined || input.email !== undefined, {
    message: 'give a name or an email to change',
  });
/** What a caller gives to change a user's name or email. */
export type UpdateUserInput = z.input<typeof updateUserInputSchema>;

export const transferPointsInputSchema = z
  .strictObject({ from: idSchema, to: idSchema, points: pointsSchema.min(1) })
  .refine((input) => input.from !== input.to, {
    message: 'sender and receiver must differ',
    path: ['to'],
  });
/** A loyalty points transfer between two users. */
export type TransferPointsInput = z.input<typeof transferPointsInputSchema>;

export const orderLineInputSchema = z.strictObject({
  productId: idSchema,
  name: nameSchema,
  quantity: z.number().int().positive().max(10_000),
  unitPrice: moneyInputSchema,
});

/**
 * The rules across an order's lines: a product on one line only, one currency, and a
 * total that stays a safe integer. Shared by every schema of an order's lines.
 */
export const checkOrderLines = (
  input: { readonly items: readonly z.output<typeof orderLineInputSchema>[] },
  context: z.RefinementCtx,
): void => {
  const seen = new Set<string>();
  input.items.forEach((line, index) => {
    if (seen.has(line.productId)) {
      context.addIssue({
        code: 'custom',
        message: 'a product may appear on one line only',
        path: ['items', index, 'productId'],
      });
    }
    seen.add(line.productId);
    const currency = input.items[0]?.unitPrice.currency;
    if (line.unitPrice.currency !== currency) {
      context.addIssue({
        code: 'custom',
        message: `must match the order's currency ${currency}`,
        path: ['items', index, 'unitPrice', 'currency'],
      });
    }
  });
  const total = input.items.reduce((sum, line) => sum + line.quantity * line.unitPrice.amount, 0);
  if (!Number.isSafeInteger(total)) {
    context.addIssue({ code: 'custom', message: 'total is too large', path: ['items'] });
  }
};

export const createOrderInputSchema = z
  .strictObject({
    userId: idSchema,
    orderId: idSchema,
    items: z.array(orderLineInputSchema).min(1).max(MAX_ORDER_LINES),
  })
  .superRefine(checkOrderLines);
/** What a caller gives to place an order. */
export type CreateOrderInput = z.input<typeof createOrderInputSchema>;

export const orderLocatorSchema = z.strictObject({ userId: idSchema, orderId: idSchema });

export const updateOrderStatusInputSchema = orderLocatorSchema.extend({
  expectedRev: revSchema,
  to: orderStatusSchema,
});
/** A status change of one order, conditional on the revision the caller read. */
export type UpdateOrderStatusInput = z.input<typeof updateOrderStatusInputSchema>;

export const flagOrderInputSchema = orderLocatorSchema.extend({ expectedRev: revSchema });
/** Flagging or unflagging one order, conditional on the revision the caller read. */
export type FlagOrderInput = z.input<typeof flagOrderInputSchema>;

export const deleteOrderInputSchema = orderLocatorSchema.extend({
  expectedRev: revSchema.optional(),
});
/** Deleting one order with its lines and ref; `expectedRev` makes it conditional. */
export type DeleteOrderInput = z.input<typeof deleteOrderInputSchema>;

export const listOrdersByUserInputSchema = z
  .strictObject({
    userId: idSchema,
    ...pageSchema,
    /** Inclusive lower bound on the order's createdAt. */
    from: timestampSchema.optional(),
    /** Inclusive upper bound on the order's createdAt. */
    to: timestampSchema.optional(),
  })
  .refine((input) => !input.from || !input.to || input.from <= input.to, {
    message: 'from must not be after to',
    path: ['from'],
  });
/** A page of one user's orders, newest first, optionally within a date range. */
export type ListOrdersByUserInput = z.input<typeof listOrdersByUserInputSchema>;

export const listOrdersByStatusInputSchema = z.strictObject({
  status: orderStatusSchema,
  ...pageSchema,
});
/** A page of orders in one status across all users, newest first. */
export type ListOrdersByStatusInput = z.input<typeof listOrdersByStatusInputSchema>;

export const listFlaggedOrdersInputSchema = z.strictObject({ ...pageSchema });
/** A page of flagged orders, newest first. */
export type ListFlaggedOrdersInput = z.input<typeof listFlaggedOrdersInputSchema>;

export const putProductInputSchema = z.strictObject({
  productId: idSchema,
  name: nameSchema,
  category: idSchema,
  price: moneyInputSchema,
  /** Absent: create, failing if the product exists. Present: replace that revision. */
  expectedRev: revSchema.optional(),
});
/** A product to create, or to replace at the revision the caller read. */
export type PutProductInput = z.input<typeof putProductInputSchema>;

export const listProductsByCategoryInputSchema = z.strictObject({
  category: idSchema,
  ...pageSchema,
});
/** A page of the products in one category, by product id. */
export type ListProductsByCategoryInput = z.input<typeof listProductsByCategoryInputSchema>;

export const createSessionInputSchema = z.strictObject({
  sessionId: idSchema,
  userId: idSchema,
  /** Lifetime from now, in seconds. */
  ttlSeconds: z
    .number()
    .int()
    .positive()
    .max(366 * 24 * 3600),
});
/** A session to create. */
export type CreateSessionInput = z.input<typeof createSessionInputSchema>;

export const recordProductViewInputSchema = z.strictObject({
  productId: idSchema,
  viewId: idSchema,
  userId: idSchema.optional(),
});
/** One product view to record. */
export type RecordProductViewInput = z.input<typeof recordProductViewInputSchema>;

export const listRecentProductViewsInputSchema = z.strictObject({
  productId: idSchema,
  ...pageSchema,
  /** Inclusive lower bound on the view time. */
  since: timestampSchema.optional(),
});
/** A page of a product's views, newest first. */
export type ListRecentProductViewsInput = z.input<typeof listRecentProductViewsInputSchema>;
