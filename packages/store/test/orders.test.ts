import { type Order, OrderStatus } from '@pipeline/model';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/cursor.js';
import { InvalidCursorError, InvalidTransitionError, ValidationError } from '../src/errors.js';
import { toAttributes } from '../src/items.js';
import * as orders from '../src/orders.js';
import { MAX_ORDER_LINES } from '../src/validation.js';
import {
  at,
  consistentGet,
  expectRefused,
  indexQuery,
  line,
  now,
  plain,
  resolved,
  rev,
} from './support.js';

const order: Order = {
  entityType: 'Order',
  orderId: 'o1',
  userId: 'u1',
  status: 'pending',
  total: { amount: 100, currency: 'EUR' },
  itemCount: 1,
  flagged: false,
  createdAt: '2024-04-01T00:00:00.000Z',
  updatedAt: '2024-04-01T00:00:00.000Z',
  rev: 42,
};
const orderKey = { PK: { S: 'USER#u1' }, SK: { S: 'ORDER#2024-04-01T00:00:00.000Z#o1' } };

describe('buildCreateOrderParams', () => {
  it('checks the user, then puts the order, its ref and each line only if absent', () => {
    const params = orders.buildCreateOrderParams(
      't',
      { userId: 'u1', orderId: 'o1', items: [line('p1', 2, 150), line('p2', 1, 999)] },
      now,
    );

    const [check, put, ref, ...lines] = params.TransactItems ?? [];
    expect(check?.ConditionCheck).toMatchObject({
      Key: { PK: { S: 'USER#u1' }, SK: { S: 'PROFILE' } },
      ConditionExpression: 'attribute_exists(#pk)',
    });
    expect(plain(put?.Put?.Item)).toEqual({
      PK: 'USER#u1',
      SK: `ORDER#${at}#o1`,
      GSI1PK: 'STATUS#pending',
      GSI1SK: `ORDER#${at}#o1`,
      entityType: 'Order',
      orderId: 'o1',
      userId: 'u1',
      status: 'pending',
      total: { amount: 1299, currency: 'EUR' },
      itemCount: 2,
      flagged: false,
      createdAt: at,
      updatedAt: at,
      rev,
    });
    expect(plain(ref?.Put?.Item)).toEqual({
      PK: 'ORDER#o1',
      SK: 'REF',
      entityType: 'OrderRef',
      orderId: 'o1',
      userId: 'u1',
      createdAt: at,
      updatedAt: at,
      rev,
    });
    expect(lines.map((action) => plain(action.Put?.Item))).toEqual([
      {
        PK: 'ORDER#o1',
        SK: 'ITEM#p1',
        entityType: 'OrderItem',
        orderId: 'o1',
        ...line('p1', 2, 150),
        createdAt: at,
        updatedAt: at,
        rev,
      },
      {
        PK: 'ORDER#o1',
        SK: 'ITEM#p2',
        entityType: 'OrderItem',
        orderId: 'o1',
        ...line('p2', 1, 999),
        createdAt: at,
        updatedAt: at,
        rev,
      },
    ]);
    for (const action of [put, ref, ...lines])
      expect(action?.Put?.ConditionExpression).toBe('attribute_not_exists(#pk)');
  });

  it.each([
    [{ items: [] }, 'items'],
    [{ items: [line('p1', 1, 1.5)] }, 'items.0.unitPrice.amount'],
    [{ items: [line('p1', 0, 1)] }, 'items.0.quantity'],
    [{ items: [line('p1', 1, -1)] }, 'items.0.unitPrice.amount'],
    [{ items: [line('p1', 1, 1, 'eur')] }, 'items.0.unitPrice.currency'],
    [{ items: [line('p1', 1, 1), line('p1', 1, 1)] }, 'items.1.productId'],
    [{ items: [line('p1', 1, 1), line('p2', 1, 1, 'USD')] }, 'items.1.unitPrice.currency'],
    [{ items: [line('p1', 10_000, Number.MAX_SAFE_INTEGER)] }, 'items'],
    [
      { items: Array.from({ length: MAX_ORDER_LINES + 1 }, (_, index) => line(`p${index}`, 1, 1)) },
      'items',
    ],
    [{ orderId: 'o 1', items: [line('p1', 1, 1)] }, 'orderId'],
  ])('refuses %#, naming %s', (change, field) => {
    const input = { userId: 'u1', orderId: 'o1', ...change };
    expectRefused(() => orders.buildCreateOrderParams('t', input, now), field);
  });
});

describe('order reads', () => {
  it('reads the ref, then the order, both strongly consistent', () => {
    expect(orders.buildGetOrderRefParams('t', 'o1')).toEqual(consistentGet('ORDER#o1', 'REF'));
    expect(orders.buildGetOrderParams('t', order)).toEqual(
      consistentGet('USER#u1', 'ORDER#2024-04-01T00:00:00.000Z#o1'),
    );
  });

  it('queries the lines of an order, resuming from a start key', () => {
    const startKey = toAttributes({ PK: 'ORDER#o1', SK: 'ITEM#p1' });

    expect(orders.buildListOrderItemsParams('t', 'o1', startKey)).toEqual({
      TableName: 't',
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': { S: 'ORDER#o1' }, ':prefix': { S: 'ITEM#' } },
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
    });
  });

  it("queries a user's orders newest first", () => {
    expect(orders.buildListOrdersByUserParams('t', { userId: 'u1' })).toEqual({
      TableName: 't',
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: { ':pk': { S: 'USER#u1' }, ':prefix': { S: 'ORDER#' } },
      ScanIndexForward: false,
      Limit: 25,
    });
  });

  it.each([
    [
      { from: '2024-01-01T00:00:00.000Z', to: '2024-01-31T23:59:59.999Z' },
      'ORDER#2024-01-01T00:00:00.000Z',
      'ORDER#2024-01-31T23:59:59.999Z#~',
    ],
    [{ from: '2024-01-01T00:00:00.000Z' }, 'ORDER#2024-01-01T00:00:00.000Z', 'ORDER#~'],
    [{ to: '2024-01-31T23:59:59.999Z' }, 'ORDER#', 'ORDER#2024-01-31T23:59:59.999Z#~'],
  ])('bounds a date range %o inclusively on the sort key', (range, low, high) => {
    const params = orders.buildListOrdersByUserParams('t', { userId: 'u1', ...range });

    expect(params.KeyConditionExpression).toBe('#pk = :pk AND #sk BETWEEN :low AND :high');
    expect(plain(params.ExpressionAttributeValues)).toEqual({
      ':pk': 'USER#u1',
      ':low': low,
      ':high': high,
    });
  });

  it('resumes from a cursor of the same user, and refuses one of another user or a bad range', () => {
    const cursor = encodeCursor(toAttributes({ PK: 'USER#u1', SK: 'ORDER#2024#o1' }))!;

    expect(
      orders.buildListOrdersByUserParams('t', { userId: 'u1', cursor, limit: 5 }),
    ).toMatchObject({
      Limit: 5,
      ExclusiveStartKey: { PK: { S: 'USER#u1' }, SK: { S: 'ORDER#2024#o1' } },
    });
    expect(() => orders.buildListOrdersByUserParams('t', { userId: 'u2', cursor })).toThrow(
      InvalidCursorError,
    );
    expect(() =>
      orders.buildListOrdersByUserParams('t', {
        userId: 'u1',
        from: '2024-02-01T00:00:00.000Z',
        to: '2024-01-01T00:00:00.000Z',
      }),
    ).toThrow(ValidationError);
    expect(() =>
      orders.buildListOrdersByUserParams('t', { userId: 'u1', from: '2024-02-01' }),
    ).toThrow(ValidationError);
    expect(() => orders.buildListOrdersByUserParams('t', { userId: 'u1', limit: 0 })).toThrow(
      ValidationError,
    );
  });

  it('queries GSI1 for a status, newest first, with index cursors', () => {
    const cursor = encodeCursor(
      toAttributes({ PK: 'USER#u1', SK: 'ORDER#x', GSI1PK: 'STATUS#paid', GSI1SK: 'ORDER#x' }),
    )!;

    expect(orders.buildListOrdersByStatusParams('t', { status: 'paid', cursor })).toEqual({
      ...indexQuery('GSI1', 'STATUS#paid'),
      ScanIndexForward: false,
      Limit: 25,
      ExclusiveStartKey: toAttributes({
        PK: 'USER#u1',
        SK: 'ORDER#x',
        GSI1PK: 'STATUS#paid',
        GSI1SK: 'ORDER#x',
      }),
    });
    expect(() => orders.buildListOrdersByStatusParams('t', { status: 'pending', cursor })).toThrow(
      InvalidCursorError,
    );
    expect(() => orders.buildListOrdersByStatusParams('t', { status: 'lost' as 'paid' })).toThrow(
      ValidationError,
    );
  });

  it('queries the sparse GSI2 for flagged orders, newest first', () => {
    expect(orders.buildListFlaggedOrdersParams('t', { limit: 10 })).toEqual({
      ...indexQuery('GSI2', 'FLAGGED'),
      ScanIndexForward: false,
      Limit: 10,
    });
  });
});

describe('buildUpdateOrderStatusParams', () => {
  const moveOrder = (from: OrderStatus, to: OrderStatus) =>
    orders.buildUpdateOrderStatusParams(
      't',
      { ...order, status: from },
      { expectedRev: 42, to },
      now,
    );

  it('sets the status and GSI1 partition together, conditional on revision and current status', () => {
    expect(resolved(moveOrder('pending', 'paid'))).toEqual({
      TableName: 't',
      Key: orderKey,
      UpdateExpression: `SET status = "paid", GSI1PK = "STATUS#paid", updatedAt = "${at}", rev = ${rev}`,
      ConditionExpression: 'rev = 42 AND status = "pending"',
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  // Every pair of statuses: these five moves, and no other, are allowed.
  const allowed = [
    'pending → paid',
    'pending → cancelled',
    'paid → shipped',
    'paid → cancelled',
    'shipped → delivered',
  ];
  const statuses = Object.values(OrderStatus);
  const moves = statuses.flatMap((from) => statuses.map((to) => [from, to] as const));
  const isAllowed = ([from, to]: readonly [OrderStatus, OrderStatus]) =>
    allowed.includes(`${from} → ${to}`);

  it.each(moves.filter(isAllowed))('moves an order from %s to %s', (from, to) => {
    expect(() => moveOrder(from, to)).not.toThrow();
  });

  it.each(moves.filter((move) => !isAllowed(move)))(
    'refuses to move an order from %s to %s',
    (from, to) => {
      expect(() => moveOrder(from, to)).toThrow(InvalidTransitionError);
    },
  );
});

describe('buildSetOrderFlagParams', () => {
  const flagOrder = (flagged: boolean) =>
    resolved(orders.buildSetOrderFlagParams('t', order, { expectedRev: 42, flagged }, now));

  it('flags by setting the GSI2 keys', () => {
    expect(flagOrder(true)).toMatchObject({
      UpdateExpression: `SET flagged = true, updatedAt = "${at}", rev = ${rev}, GSI2PK = "FLAGGED", GSI2SK = "ORDER#2024-04-01T00:00:00.000Z#o1"`,
      ConditionExpression: 'rev = 42',
    });
  });

  it('unflags by removing the GSI2 keys, keeping the index sparse', () => {
    expect(flagOrder(false)).toMatchObject({
      UpdateExpression: `SET flagged = false, updatedAt = "${at}", rev = ${rev} REMOVE GSI2PK, GSI2SK`,
      ConditionExpression: 'rev = 42',
    });
  });
});

describe('buildDeleteOrderParams', () => {
  it('deletes the order at the expected revision with its ref and lines', () => {
    const params = orders.buildDeleteOrderParams('t', order, ['p1', 'p2'], 42);

    expect(params.TransactItems?.map((action) => plain(action.Delete?.Key))).toEqual([
      { PK: 'USER#u1', SK: 'ORDER#2024-04-01T00:00:00.000Z#o1' },
      { PK: 'ORDER#o1', SK: 'REF' },
      { PK: 'ORDER#o1', SK: 'ITEM#p1' },
      { PK: 'ORDER#o1', SK: 'ITEM#p2' },
    ]);
    expect(params.TransactItems?.[0]?.Delete?.ConditionExpression).toBe('#rev = :expectedRev');
  });
});
