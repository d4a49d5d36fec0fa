import {
  type AttributeValue,
  DynamoDBClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { OrderStatus } from '@pipeline/model';
import { type DynamoDbSender, readGeneration } from './apply.js';
import {
  dailyOrders,
  dailyProductViews,
  ordersByStatus,
  productViews,
  userTotals,
} from './declarations.js';
import { InvalidQueryError, UnsafeIntegerError } from './errors.js';
import {
  counterPartitionKey,
  counterSortOf,
  NON_FIELD_ATTRIBUTES,
  retiredAttribute,
} from './keys.js';

/** Options every read takes. */
export interface ReadOptions {
  /** Strongly consistent reads (twice the read units). @default false */
  readonly consistentRead?: boolean;
}

/** One day of the daily series. */
export interface DailyPoint {
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly orders: number;
  /** Revenue in minor units per currency; cancelled orders excluded. */
  readonly revenue: Readonly<Record<string, number>>;
}

/** A user's lifetime totals. */
export interface UserTotals {
  readonly orders: number;
  /** Spend in minor units per currency; cancelled orders excluded. */
  readonly spend: Readonly<Record<string, number>>;
}

/** A product and its views. */
export interface ProductViewCount {
  readonly productId: string;
  readonly views: number;
}

/** Typed reads over the aggregates for dashboards. Every read is a Query; none scans. */
export interface AggregatesReader {
  /** Orders per status right now. */
  getStatusCounts(options?: ReadOptions): Promise<Record<OrderStatus, number>>;
  /** Orders created and revenue per UTC day from `from` to `to` inclusive (at most 366 days); days without orders are zero. */
  getDailySeries(
    range: { from: string; to: string; currency?: string },
    options?: ReadOptions,
  ): Promise<DailyPoint[]>;
  /** A user's order count and spend. */
  getUserTotals(userId: string, options?: ReadOptions): Promise<UserTotals>;
  /** A product's views ever (expired views included). */
  getProductViews(productId: string, options?: ReadOptions): Promise<number>;
  /**
   * The most viewed products of a UTC day. Reads the day's partition (products × shards
   * items) page by page and ranks in memory: fine for tens of thousands of products a day.
   */
  getTopProducts(
    query: { day: string; limit: number },
    options?: ReadOptions,
  ): Promise<ProductViewCount[]>;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_SERIES_DAYS = 366;

/** Sums counter items per logical counter (sort key without shard) and field; live and retired parts add up. */
export const sumShards = (
  items: readonly Record<string, AttributeValue>[],
): Map<string, Map<string, bigint>> => {
  const sums = new Map<string, Map<string, bigint>>();
  for (const item of items) {
    const sort = counterSortOf(item.SK?.S ?? '');
    const fields = sums.get(sort) ?? new Map<string, bigint>();
    sums.set(sort, fields);
    for (const [attribute, value] of Object.entries(item)) {
      if (NON_FIELD_ATTRIBUTES.has(attribute) || value.N === undefined) continue;
      const field = attribute.endsWith(retiredAttribute(''))
        ? attribute.slice(0, -retiredAttribute('').length)
        : attribute;
      fields.set(field, (fields.get(field) ?? 0n) + BigInt(value.N));
    }
  }
  return sums;
};

/** A sum as a number, refused rather than rounded when beyond 2^53. */
export const toSafeNumber = (counter: string, value: bigint): number => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UnsafeIntegerError(counter, value);
  }
  return Number(value);
};

/** Reads every page of a Query. */
export const queryAll = async (
  client: DynamoDbSender,
  input: QueryCommandInput,
): Promise<Record<string, AttributeValue>[]> => {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};

const nextDay = (day: string): string =>
  new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);

const prefixed = (
  fields: ReadonlyMap<string, bigint> | undefined,
  prefix: string,
  context: string,
) => {
  const result: Record<string, number> = {};
  for (const [field, value] of fields ?? []) {
    if (field.startsWith(prefix))
      result[field.slice(prefix.length)] = toSafeNumber(`${context} ${field}`, value);
  }
  return result;
};

/**
 * Creates the dashboard reader. Each read first reads the generation pointer (a GetItem),
 * then Queries one partition of that generation and sums the shards.
 *
 * @example
 * const reader = createAggregatesReader({ tableName: 'aggregates' });
 * const counts = await reader.getStatusCounts({ consistentRead: true });
 * const series = await reader.getDailySeries({ from: '2025-01-01', to: '2025-01-31', currency: 'EUR' });
 */
export const createAggregatesReader = (options: {
  readonly tableName: string;
  readonly client?: DynamoDbSender;
}): AggregatesReader => {
  const client = options.client ?? new DynamoDBClient({});
  const { tableName } = options;
  const partition = async (
    name: string,
    read: ReadOptions | undefined,
    range?: { from: string; to: string },
  ): Promise<Map<string, Map<string, bigint>>> => {
    const consistent = read?.consistentRead ?? false;
    const generation = await readGeneration(client, tableName, consistent);
    const values: Record<string, AttributeValue> = {
      ':pk': { S: counterPartitionKey(generation, name) },
    };
    if (range) {
      values[':from'] = { S: `${range.from}#` };
      // `~` sorts after the shard digits, so the last day's shards are inside the range.
      values[':to'] = { S: `${range.to}#~` };
    }
    const items = await queryAll(client, {
      TableName: tableName,
      KeyConditionExpression: range ? 'PK = :pk AND SK BETWEEN :from AND :to' : 'PK = :pk',
      ExpressionAttributeValues: values,
      ConsistentRead: consistent,
    });
    return sumShards(items);
  };
  return {
    async getStatusCounts(read) {
      const sums = await partition(ordersByStatus.locate('').partition, read);
      const counts = Object.fromEntries(
        Object.values(OrderStatus).map((status) => [status, 0]),
      ) as Record<OrderStatus, number>;
      for (const status of Object.values(OrderStatus)) {
        counts[status] = toSafeNumber(`status ${status}`, sums.get(status)?.get('orders') ?? 0n);
      }
      return counts;
    },
    async getDailySeries({ from, to, currency }, read) {
      if (!DAY.test(from) || Number.isNaN(Date.parse(from)))
        throw new InvalidQueryError('from', 'must be YYYY-MM-DD');
      if (!DAY.test(to) || Number.isNaN(Date.parse(to)))
        throw new InvalidQueryError('to', 'must be YYYY-MM-DD');
      if (to < from) throw new InvalidQueryError('to', 'must not be before from');
      const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
      if (days > MAX_SERIES_DAYS)
        throw new InvalidQueryError('to', `must be within ${MAX_SERIES_DAYS} days of from`);
      const sums = await partition(dailyOrders.locate(from).partition, read, { from, to });
      const series: DailyPoint[] = [];
      for (let day = from; day <= to; day = nextDay(day)) {
        const fields = sums.get(day);
        const revenue = prefixed(fields, 'revenue#', `day ${day}`);
        series.push({
          day,
          orders: toSafeNumber(`day ${day} orders`, fields?.get('orders') ?? 0n),
          revenue: currency === undefined ? revenue : { [currency]: revenue[currency] ?? 0 },
        });
      }
      return series;
    },
    async getUserTotals(userId, read) {
      const location = userTotals.locate(userId);
      const fields = (await partition(location.partition, read)).get(location.sort);
      return {
        orders: toSafeNumber(`user ${userId} orders`, fields?.get('orders') ?? 0n),
        spend: prefixed(fields, 'spend#', `user ${userId}`),
      };
    },
    async getProductViews(productId, read) {
      const location = productViews.locate(productId);
      const fields = (await partition(location.partition, read)).get(location.sort);
      return toSafeNumber(`product ${productId} views`, fields?.get('views') ?? 0n);
    },
    async getTopProducts({ day, limit }, read) {
      if (!DAY.test(day)) throw new InvalidQueryError('day', 'must be YYYY-MM-DD');
      if (!Number.isInteger(limit) || limit < 1)
        throw new InvalidQueryError('limit', 'must be a positive integer');
      const sums = await partition(dailyProductViews.locate(`${day}#x`).partition, read);
      return [...sums]
        .map(([productId, fields]) => ({ productId, views: fields.get('views') ?? 0n }))
        .filter((entry) => entry.views > 0n)
        .sort((a, b) =>
          a.views === b.views ? a.productId.localeCompare(b.productId) : a.views > b.views ? -1 : 1,
        )
        .slice(0, limit)
        .map((entry) => ({
          productId: entry.productId,
          views: toSafeNumber(`product ${entry.productId}`, entry.views),
        }));
    },
  };
};
