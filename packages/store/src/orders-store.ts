import { QueryCommand, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import {
  EntityType,
  idSchema,
  type Order,
  type OrderItem,
  orderItemSchema,
  orderSchema,
} from '@pipeline/model';
import {
  expectCurrent,
  type IterateInput,
  iterate,
  type StoreContext,
  staleOrMissing,
  staleRevisionAt,
} from './context.js';
import { AlreadyExistsError, NotFoundError } from './errors.js';
import { type AttributeMap, fromItem } from './items.js';
import {
  buildCreateOrderParams,
  buildDeleteOrderParams,
  buildGetOrderParams,
  buildGetOrderRefParams,
  buildListFlaggedOrdersParams,
  buildListOrderItemsParams,
  buildListOrdersByStatusParams,
  buildListOrdersByUserParams,
  buildSetOrderFlagParams,
  buildUpdateOrderStatusParams,
  CreateOrderAction,
} from './orders.js';
import { orderRefSchema, type Page } from './schemas.js';
import { conditionFailedAt } from './transactions.js';
import {
  type CreateOrderInput,
  type DeleteOrderInput,
  deleteOrderInputSchema,
  type FlagOrderInput,
  flagOrderInputSchema,
  type ListFlaggedOrdersInput,
  type ListOrdersByStatusInput,
  type ListOrdersByUserInput,
  parseInput,
  type UpdateOrderStatusInput,
  updateOrderStatusInputSchema,
} from './validation.js';

/** An order with its lines. */
export interface OrderWithItems {
  readonly order: Order;
  readonly items: OrderItem[];
}

/** The orders of the store, with their lines, their refs and the status and flag indexes. */
export interface OrderStore {
  /** Places an order with its lines in one transaction; the total is the sum of the lines. */
  create(input: CreateOrderInput): Promise<OrderWithItems>;
  /** One order by its owner and id, or `undefined` (also when another user owns it). */
  get(userId: string, orderId: string): Promise<Order | undefined>;
  /** One order by its id alone, through its ref, or `undefined`. */
  getById(orderId: string): Promise<Order | undefined>;
  /** Every line of an order. */
  listItems(orderId: string): Promise<OrderItem[]>;
  /** A page of a user's orders, newest first, optionally between `from` and `to` (inclusive). */
  listByUser(input: ListOrdersByUserInput): Promise<Page<Order>>;
  /** Every order of a user, newest first, page after page. */
  iterateByUser(input: IterateInput<ListOrdersByUserInput>): AsyncGenerator<Order, void, undefined>;
  /** A page of the orders in one status across all users, newest first. */
  listByStatus(input: ListOrdersByStatusInput): Promise<Page<Order>>;
  /** Every order in one status, newest first, page after page. */
  iterateByStatus(
    input: IterateInput<ListOrdersByStatusInput>,
  ): AsyncGenerator<Order, void, undefined>;
  /** A page of flagged orders, newest first. */
  listFlagged(input?: ListFlaggedOrdersInput): Promise<Page<Order>>;
  /** Every flagged order, newest first, page after page. */
  iterateFlagged(
    input?: IterateInput<ListFlaggedOrdersInput>,
  ): AsyncGenerator<Order, void, undefined>;
  /** Moves an order along an allowed transition at the revision the caller read; GSI1 follows in the same write. */
  updateStatus(input: UpdateOrderStatusInput): Promise<Order>;
  /** Flags an order, which puts it in the sparse GSI2. */
  flag(input: FlagOrderInput): Promise<Order>;
  /** Unflags an order, which takes it out of GSI2. */
  unflag(input: FlagOrderInput): Promise<Order>;
  /** Deletes an order with its lines and ref in one transaction. */
  delete(input: DeleteOrderInput): Promise<void>;
}

/** The {@link OrderStore} of a table. */
export const createOrderStore = (context: StoreContext): OrderStore => {
  const { tableName, client, clock, getOne, queryPage, transact, updateItem } = context;
  const getById = async (orderId: string): Promise<Order | undefined> => {
    const ref = await getOne(orderRefSchema, buildGetOrderRefParams(tableName, orderId));
    return ref ? getOne(orderSchema, buildGetOrderParams(tableName, ref)) : undefined;
  };

  const get = async (userId: string, orderId: string): Promise<Order | undefined> => {
    parseInput(idSchema, userId);
    const order = await getById(orderId);
    return order?.userId === userId ? order : undefined;
  };

  /** Reads the order a change applies to and checks the caller read its current revision. */
  const currentOrder = async (
    userId: string,
    orderId: string,
    expectedRev: number | undefined,
  ): Promise<Order> =>
    expectCurrent(EntityType.order, orderId, await get(userId, orderId), expectedRev);

  /** Applies one conditional UpdateItem, built from the current order, at the revision the caller read. */
  const changeOrder = async (
    { userId, orderId, expectedRev }: { userId: string; orderId: string; expectedRev: number },
    build: (current: Order) => UpdateItemCommandInput,
  ): Promise<Order> => {
    const current = await currentOrder(userId, orderId, expectedRev);
    return updateItem(orderSchema, build(current), (error) =>
      staleOrMissing(EntityType.order, orderId, expectedRev, error),
    );
  };

  const listItems = async (orderId: string): Promise<OrderItem[]> => {
    const items: OrderItem[] = [];
    let startKey: AttributeMap | undefined;
    do {
      const response = await client.send(
        new QueryCommand(buildListOrderItemsParams(tableName, orderId, startKey)),
      );
      items.push(...(response.Items ?? []).map((item) => fromItem(orderItemSchema, item)));
      startKey = response.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  };

  const listByUser = async (input: ListOrdersByUserInput) =>
    queryPage(orderSchema, buildListOrdersByUserParams(tableName, input));
  const listByStatus = async (input: ListOrdersByStatusInput) =>
    queryPage(orderSchema, buildListOrdersByStatusParams(tableName, input));
  const listFlagged = async (input: ListFlaggedOrdersInput = {}) =>
    queryPage(orderSchema, buildListFlaggedOrdersParams(tableName, input));

  const setFlag = async (input: FlagOrderInput, flagged: boolean): Promise<Order> => {
    const change = parseInput(flagOrderInputSchema, input);
    const { expectedRev } = change;
    return changeOrder(change, (current) =>
      buildSetOrderFlagParams(tableName, current, { expectedRev, flagged }, clock()),
    );
  };

  return {
    async create(input) {
      const params = buildCreateOrderParams(tableName, input, clock());
      await transact(params, (reasons, error) => {
        if (conditionFailedAt(reasons, CreateOrderAction.userCheck)) {
          return new NotFoundError(EntityType.user, input.userId, { cause: error });
        }
        if (reasons?.some((reason) => reason.code === 'ConditionalCheckFailed')) {
          return new AlreadyExistsError(EntityType.order, input.orderId, { cause: error });
        }
        return undefined;
      });
      const puts = (params.TransactItems ?? []).map((action) => action.Put?.Item);
      return {
        order: fromItem(orderSchema, puts[CreateOrderAction.order] ?? {}),
        items: puts
          .slice(CreateOrderAction.firstLine)
          .map((item) => fromItem(orderItemSchema, item ?? {})),
      };
    },

    get,
    getById,
    listItems,
    listByUser,
    iterateByUser: (input) => iterate(listByUser, input),
    listByStatus,
    iterateByStatus: (input) => iterate(listByStatus, input),
    listFlagged,
    iterateFlagged: (input = {}) => iterate(listFlagged, input),

    async updateStatus(input) {
      const change = parseInput(updateOrderStatusInputSchema, input);
      const { expectedRev, to } = change;
      return changeOrder(change, (current) =>
        buildUpdateOrderStatusParams(tableName, current, { expectedRev, to }, clock()),
      );
    },

    flag: (input) => setFlag(input, true),
    unflag: (input) => setFlag(input, false),

    async delete(input) {
      const { userId, orderId, expectedRev } = parseInput(deleteOrderInputSchema, input);
      const current = await currentOrder(userId, orderId, expectedRev);
      const lines = await listItems(orderId);
      const params = buildDeleteOrderParams(
        tableName,
        current,
        lines.map((line) => line.productId),
        current.rev,
      );
      await transact(params, staleRevisionAt(EntityType.order, orderId, current.rev, [0]));
    },
  };
};
