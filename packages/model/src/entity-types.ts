/** The kinds of items and the order lifecycle, as plain constants with no validation library, so that code needing only these stays small when bundled. */

/** Every kind of item in the main table, as stored in its `entityType` attribute. */
export const EntityType = {
  user: 'User',
  emailGuard: 'EmailGuard',
  order: 'Order',
  orderRef: 'OrderRef',
  orderItem: 'OrderItem',
  product: 'Product',
  session: 'Session',
  productView: 'ProductView',
} as const;

/** One of the values of {@link EntityType}. */
export type EntityType = (typeof EntityType)[keyof typeof EntityType];

/** Order statuses, in the order an order normally moves through them. */
export const OrderStatus = {
  pending: 'pending',
  paid: 'paid',
  shipped: 'shipped',
  delivered: 'delivered',
  cancelled: 'cancelled',
} as const;

/** One of the values of {@link OrderStatus}. */
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** The allowed status transitions: pending → paid → shipped → delivered, and pending or paid → cancelled. */
export const orderStatusTransitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** Whether an order may move from one status to another. */
export const canTransition = (from: OrderStatus, to: OrderStatus): boolean =>
  orderStatusTransitions[from].includes(to);
