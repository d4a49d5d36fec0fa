import type {
  GetItemCommandInput,
  QueryCommandInput,
  TransactWriteItemsCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  canTransition,
  EntityType,
  FLAGGED_PARTITION,
  IndexName,
  idSchema,
  keys,
  type Order,
  type OrderStatus,
  orderSk,
} from '@pipeline/model';
import { buildIndexPageParams, resumeAt } from './cursor.js';
import { InvalidTransitionError } from './errors.js';
import { type AttributeMap, auditOfNew, consistentGet, toAttributes, toItem } from './items.js';
import { nextRev } from './rev.js';
import {
  type CreateOrderInput,
  createOrderInputSchema,
  type ListFlaggedOrdersInput,
  type ListOrdersByStatusInput,
  type ListOrdersByUserInput,
  listFlaggedOrdersInputSchema,
  listOrdersByStatusInputSchema,
  listOrdersByUserInputSchema,
  parseInput,
} from './validation.js';

/** Sorts after every id character, so `ORDER#<t>#~` bounds every order created at `t`. */
const HIGH = '~';

/** Positions of the create-order transaction's actions, for explaining a cancellation. */
export const CreateOrderAction = { userCheck: 0, order: 1, ref: 2, firstLine: 3 } as const;

/**
 * Builds the transaction that places an order: the order, its ref and every line, only
 * if the user exists and the order id is new. The total is the sum of the lines.
 *
 * @example
 * buildCreateOrderParams('orders', {
 *   userId: 'u1', orderId: 'o1',
 *   items: [{ productId: 'p1', name: 'Pen', quantity: 2, unitPrice: { amount: 150, currency: 'EUR' } }],
 * }, new Date())
 */
export const buildCreateOrderParams = (
  tableName: string,
  input: CreateOrderInput,
  now: Date,
): TransactWriteItemsCommandInput => {
  const { userId, orderId, items } = parseInput(createOrderInputSchema, input);
  const audit = auditOfNew(now, nextRev(now));
  const currency = items[0]!.unitPrice.currency;
  const amount = items.reduce((sum, line) => sum + line.quantity * line.unitPrice.amount, 0);
  const notExists = { ConditionExpression: 'attribute_not_exists(#pk)' };
  const names = { ExpressionAttributeNames: { '#pk': 'PK' } };
  return {
    TransactItems: [
      {
        ConditionCheck: {
          TableName: tableName,
          Key: toAttributes(keys.user(userId)),
          ConditionExpression: 'attribute_exists(#pk)',
          ...names,
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: toItem({
            ...keys.order(userId, audit.createdAt, orderId),
            ...keys.orderByStatus('pending', audit.createdAt, orderId),
            entityType: EntityType.order,
            orderId,
            userId,
            status: 'pending',
            total: { amount, currency },
            itemCount: items.length,
            flagged: false,
            ...audit,
          }),
          ...notExists,
          ...names,
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: toItem({
            ...keys.orderRef(orderId),
            entityType: EntityType.orderRef,
            orderId,
            userId,
            ...audit,
          }),
          ...notExists,
          ...names,
        },
      },
      ...items.map((line) => ({
        Put: {
          TableName: tableName,
          Item: toItem({
            ...keys.orderItem(orderId, line.productId),
            entityType: EntityType.orderItem,
            orderId,
            ...line,
            ...audit,
          }),
          ...notExists,
          ...names,
        },
      })),
    ],
  };
};

/**
 * Builds the strongly consistent read of an order's ref, which says where the order lives.
 *
 * @example
 * buildGetOrderRefParams('orders', 'o1')
 */
export const buildGetOrderRefParams = (tableName: string, orderId: string): GetItemCommandInput =>
  consistentGet(tableName, keys.orderRef(parseInput(idSchema, orderId)));

/**
 * Builds the strongly consistent read of one order by its full key.
 *
 * @example
 * buildGetOrderParams('orders', { userId: 'u1', createdAt: '2024-05-01T10:00:00.000Z', orderId: 'o1' })
 */
export const buildGetOrderParams = (
  tableName: string,
  at: { readonly userId: string; readonly createdAt: string; readonly orderId: string },
): GetItemCommandInput => consistentGet(tableName, keys.order(at.userId, at.createdAt, at.orderId));

/**
 * Builds the query for an order's lines. An order has at most 97 lines, far below a page,
 * but the caller still follows `startKey` so nothing is ever cut off.
 *
 * @example
 * buildListOrderItemsParams('orders', 'o1')
 */
export const buildListOrderItemsParams = (
  tableName: string,
  orderId: string,
  startKey?: AttributeMap,
): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
  ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
  ExpressionAttributeValues: toAttributes({
    ':pk': keys.orderRef(parseInput(idSchema, orderId)).PK,
    ':prefix': 'ITEM#',
  }),
  ConsistentRead: true,
  ...(startKey ? { ExclusiveStartKey: startKey } : {}),
});

/**
 * Builds the query for a page of one user's orders, newest first, optionally limited to
 * orders created between `from` and `to` (both inclusive).
 *
 * @example
 * buildListOrdersByUserParams('orders', { userId: 'u1', limit: 20, from: '2024-01-01T00:00:00.000Z' })
 */
export const buildListOrdersByUserParams = (
  tableName: string,
  input: ListOrdersByUserInput,
): QueryCommandInput => {
  const { userId, limit, cursor, from, to } = parseInput(listOrdersByUserInputSchema, input);
  const pk = keys.user(userId).PK;
  const ranged = from !== undefined || to !== undefined;
  return {
    TableName: tableName,
    KeyConditionExpression: ranged
      ? '#pk = :pk AND #sk BETWEEN :low AND :high'
      : '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
    ExpressionAttributeValues: toAttributes(
      ranged
        ? {
            ':pk': pk,
            ':low': from === undefined ? 'ORDER#' : `ORDER#${from}`,
            ':high': to === undefined ? `ORDER#${HIGH}` : `${orderSk(to, '')}${HIGH}`,
          }
        : { ':pk': pk, ':prefix': 'ORDER#' },
    ),
    ScanIndexForward: false,
    Limit: limit,
    ...resumeAt(cursor, { name: 'PK', value: pk }),
  };
};

/**
 * Builds the GSI1 query for a page of the orders in one status across all users, newest first.
 *
 * @example
 * buildListOrdersByStatusParams('orders', { status: 'paid', limit: 50 })
 */
export const buildListOrdersByStatusParams = (
  tableName: string,
  input: ListOrdersByStatusInput,
): QueryCommandInput => {
  const { status, limit, cursor } = parseInput(listOrdersByStatusInputSchema, input);
  const { GSI1PK: partition } = keys.orderByStatus(status, '', '');
  return buildIndexPageParams(tableName, {
    indexName: IndexName.gsi1,
    partition,
    newestFirst: true,
    limit,
    cursor,
  });
};

/**
 * Builds the query of the sparse GSI2 for a page of flagged orders, newest first.
 *
 * @example
 * buildListFlaggedOrdersParams('orders', { limit: 50 })
 */
export const buildListFlaggedOrdersParams = (
  tableName: string,
  input: ListFlaggedOrdersInput,
): QueryCommandInput => {
  const { limit, cursor } = parseInput(listFlaggedOrdersInputSchema, input);
  return buildIndexPageParams(tableName, {
    indexName: IndexName.gsi2,
    partition: FLAGGED_PARTITION,
    newestFirst: true,
    limit,
    cursor,
  });
};

/**
 * Builds the status change of an order the caller read. It refuses a transition the
 * model forbids, moves GSI1 in the same write, and applies only while the order is still
 * at `expectedRev` and in the status it was read in.
 *
 * @example
 * buildUpdateOrderStatusParams('orders', order, { expectedRev: order.rev, to: 'paid' }, new Date())
 */
export const buildUpdateOrderStatusParams = (
  tableName: string,
  current: Order,
  change: { readonly expectedRev: number; readonly to: OrderStatus },
  now: Date,
): UpdateItemCommandInput => {
  if (!canTransition(current.status, change.to)) {
    throw new InvalidTransitionError(current.orderId, current.status, change.to);
  }
  return {
    TableName: tableName,
    Key: toAttributes(keys.order(current.userId, current.createdAt, current.orderId)),
    UpdateExpression: 'SET #status = :to, #gsi1pk = :gsi1pk, #updatedAt = :updatedAt, #rev = :rev',
    ConditionExpression: '#rev = :expectedRev AND #status = :from',
    ExpressionAttributeNames: {
      '#status': 'status',
      '#gsi1pk': 'GSI1PK',
      '#updatedAt': 'updatedAt',
      '#rev': 'rev',
    },
    ExpressionAttributeValues: toAttributes({
      ':to': change.to,
      ':from': current.status,
      ':gsi1pk': keys.orderByStatus(change.to, current.createdAt, current.orderId).GSI1PK,
      ':updatedAt': now.toISOString(),
      ':rev': nextRev(now, change.expectedRev),
      ':expectedRev': change.expectedRev,
    }),
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

/**
 * Builds the flag or unflag of an order at `expectedRev`. A flagged order carries the
 * GSI2 keys; unflagging removes them, which keeps GSI2 sparse.
 *
 * @example
 * buildSetOrderFlagParams('orders', order, { expectedRev: order.rev, flagged: true }, new Date())
 */
export const buildSetOrderFlagParams = (
  tableName: string,
  current: Order,
  change: { readonly expectedRev: number; readonly flagged: boolean },
  now: Date,
): UpdateItemCommandInput => {
  const common = {
    ':flagged': change.flagged,
    ':updatedAt': now.toISOString(),
    ':rev': nextRev(now, change.expectedRev),
    ':expectedRev': change.expectedRev,
  };
  const names = {
    '#flagged': 'flagged',
    '#gsi2pk': 'GSI2PK',
    '#gsi2sk': 'GSI2SK',
    '#updatedAt': 'updatedAt',
    '#rev': 'rev',
  };
  const set = 'SET #flagged = :flagged, #updatedAt = :updatedAt, #rev = :rev';
  const gsi2 = keys.flaggedOrder(current.createdAt, current.orderId);
  return {
    TableName: tableName,
    Key: toAttributes(keys.order(current.userId, current.createdAt, current.orderId)),
    UpdateExpression: change.flagged
      ? `${set}, #gsi2pk = :gsi2pk, #gsi2sk = :gsi2sk`
      : `${set} REMOVE #gsi2pk, #gsi2sk`,
    ConditionExpression: '#rev = :expectedRev',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: toAttributes(
      change.flagged ? { ...common, ':gsi2pk': gsi2.GSI2PK, ':gsi2sk': gsi2.GSI2SK } : common,
    ),
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

/**
 * Builds the transaction that deletes an order, its ref and its lines together, only
 * while the order is at `expectedRev`.
 *
 * @example
 * buildDeleteOrderParams('orders', order, ['p1', 'p2'], order.rev)
 */
export const buildDeleteOrderParams = (
  tableName: string,
  current: Order,
  productIds: readonly string[],
  expectedRev: number,
): TransactWriteItemsCommandInput => ({
  TransactItems: [
    {
      Delete: {
        TableName: tableName,
        Key: toAttributes(keys.order(current.userId, current.createdAt, current.orderId)),
        ConditionExpression: '#rev = :expectedRev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: toAttributes({ ':expectedRev': expectedRev }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    { Delete: { TableName: tableName, Key: toAttributes(keys.orderRef(current.orderId)) } },
    ...productIds.map((productId) => ({
      Delete: {
        TableName: tableName,
        Key: toAttributes(keys.orderItem(current.orderId, productId)),
      },
    })),
  ],
});
