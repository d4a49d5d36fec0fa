/**
 * Recomputation, verification and rebuild. These are operator tools: they Scan (the main
 * table in parallel segments, and the aggregates table for one generation); dashboard reads
 * never do.
 *
 * What a recomputation can and cannot know: the main table holds the items that exist now,
 * so it gives every counter's *live* part exactly. The *retired* part of lifetime aggregates
 * (views that expired, orders deleted) is no longer in the main table; the aggregates table
 * is its only record. Verify therefore compares live parts exactly and reports retired
 * totals; rebuild recomputes live parts and carries retired parts (and the state of removed
 * items, which keeps refusing their replays) into the new generation.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
  UpdateItemCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { retry } from '@pipeline/pipeline';
import {
  AGGREGATES_RETRY_DEFAULTS,
  type DynamoDbSender,
  parseStateItem,
  type RetryPolicy,
  readGeneration,
} from './apply.js';
import { addInto, parseCellId } from './cells.js';
import { GenerationSwitchError, InvalidSourceImageError, UnprocessedItemsError } from './errors.js';
import {
  counterKey,
  generationPointerKey,
  generationPrefix,
  isStatePartition,
  NON_FIELD_ATTRIBUTES,
  retiredAttribute,
} from './keys.js';
import { contributionOf } from './plan.js';
import { sumShards } from './read.js';
import { stateItem } from './transactions.js';
import type { AggregateDeclaration, Contribution } from './types.js';

/** Fields of one counter: live part and retired part, summed over shards. */
export interface CounterTotals {
  readonly live: Map<string, bigint>;
  readonly retired: Map<string, bigint>;
}

/** Counter id `<partition>/<sort>` → totals. */
export type CounterTable = Map<string, CounterTotals>;

const counterIdOf = (partition: string, sort: string) => `${partition}/${sort}`;
const splitCounterId = (id: string) => {
  const cut = id.lastIndexOf('/');
  return { partition: id.slice(0, cut), sort: id.slice(cut + 1) };
};

const totalsIn = (table: CounterTable, id: string): CounterTotals => {
  const existing = table.get(id);
  if (existing) return existing;
  const created = { live: new Map<string, bigint>(), retired: new Map<string, bigint>() };
  table.set(id, created);
  return created;
};

/** Adds a contribution to counter totals, in the live or retired part. */
export const addToCounters = (
  table: CounterTable,
  declarations: readonly AggregateDeclaration[],
  contribution: Contribution,
  part: 'live' | 'retired',
): void => {
  const byName = new Map(declarations.map((declaration) => [declaration.name, declaration]));
  for (const [id, value] of contribution) {
    const { aggregate, counter, field } = parseCellId(id);
    const declaration = byName.get(aggregate);
    if (!declaration) continue;
    const { partition, sort } = declaration.locate(counter);
    addInto(totalsIn(table, counterIdOf(partition, sort))[part], new Map([[field, value]]));
  }
};

/** Runs a parallel Scan, handing every page to `onPage`. */
export const scanSegments = async (
  client: DynamoDbSender,
  input: ScanCommandInput,
  segments: number,
  onPage: (items: Record<string, AttributeValue>[]) => void | Promise<void>,
): Promise<void> => {
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            ...input,
            ...(segments > 1 ? { Segment: segment, TotalSegments: segments } : {}),
            ExclusiveStartKey: startKey,
          }),
        );
        await onPage(page.Items ?? []);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
};

/** Options of the maintenance operations. */
export interface MaintenanceOptions {
  /** The main table, the source of truth. */
  readonly tableName: string;
  readonly aggregatesTableName: string;
  readonly declarations: readonly AggregateDeclaration[];
  /** @default a new DynamoDBClient */
  readonly client?: DynamoDbSender;
  /** Parallel Scan segments of the main table. @default 4 */
  readonly segments?: number;
  /** Called with the number of main-table items scanned so far. */
  readonly onProgress?: (scanned: number) => void;
}

/** The result of a recomputation from the main table. */
export interface Recomputation {
  readonly counters: CounterTable;
  /** Source key `PK\0SK` → contribution, for rebuild's state items. */
  readonly contributions: Map<string, { PK: string; SK: string; contribution: Contribution }>;
  readonly scanned: number;
  /** Items of a source type whose image no aggregate could read. */
  readonly invalid: number;
}

/**
 * Recomputes the live part of every counter from the main table.
 *
 * @example
 * const { counters } = await recompute({ tableName, aggregatesTableName, declarations: aggregates });
 */
export const recompute = async (options: MaintenanceOptions): Promise<Recomputation> => {
  const client = options.client ?? new DynamoDBClient({});
  const sources = new Set<string>(options.declarations.map((declaration) => declaration.source));
  const counters: CounterTable = new Map();
  const contributions: Recomputation['contributions'] = new Map();
  let scanned = 0;
  let invalid = 0;
  await scanSegments(client, { TableName: options.tableName }, options.segments ?? 4, (items) => {
    for (const raw of items) {
      const item = unmarshall(raw, { wrapNumbers: true });
      const { PK, SK, entityType } = item as { PK: string; SK: string; entityType?: unknown };
      if (typeof entityType !== 'string' || !sources.has(entityType)) continue;
      try {
        const contribution = contributionOf(options.declarations, entityType, item);
        addToCounters(counters, options.declarations, contribution, 'live');
        contributions.set(`${PK}\u0000${SK}`, { PK, SK, contribution });
      } catch (error) {
        if (!(error instanceof InvalidSourceImageError)) throw error;
        invalid++;
      }
    }
    scanned += items.length;
    options.onProgress?.(scanned);
  });
  return { counters, contributions, scanned, invalid };
};

/** Reads every counter of a generation (Scan filtered to its partitions), summing shards. */
export const readCounters = async (
  client: DynamoDbSender,
  aggregatesTableName: string,
  generation: number,
  segments = 4,
): Promise<CounterTable> => {
  const prefix = generationPrefix(generation);
  const table: CounterTable = new Map();
  await scanSegments(
    client,
    {
      TableName: aggregatesTableName,
      FilterExpression: 'begins_with(PK, :prefix) AND NOT begins_with(PK, :state)',
      ExpressionAttributeValues: { ':prefix': { S: prefix }, ':state': { S: `${prefix}STATE#` } },
    },
    segments,
    (items) => {
      for (const item of items) {
        const partition = (item.PK?.S ?? '').slice(prefix.length);
        const live: Record<string, AttributeValue> = { SK: item.SK ?? { S: '' } };
        const retired: Record<string, AttributeValue> = { SK: item.SK ?? { S: '' } };
        for (const [attribute, value] of Object.entries(item)) {
          if (NON_FIELD_ATTRIBUTES.has(attribute)) continue;
          if (attribute.endsWith(retiredAttribute(''))) retired[attribute] = value;
          else live[attribute] = value;
        }
        for (const [sort, fields] of sumShards([live])) {
          addInto(totalsIn(table, counterIdOf(partition, sort)).live, fields);
        }
        for (const [sort, fields] of sumShards([retired])) {
          addInto(totalsIn(table, counterIdOf(partition, sort)).retired, fields);
        }
      }
    },
  );
  return table;
};

/** One counter field whose live value differs from the recomputation. */
export interface Drift {
  /** `<partition>/<sort>`, such as `STATUS/paid`. */
  readonly counter: string;
  readonly field: string;
  readonly expected: bigint;
  readonly actual: bigint;
}

/** The outcome of {@link verify}. */
export interface Verification {
  readonly generation: number;
  readonly drifts: readonly Drift[];
  readonly countersCompared: number;
  readonly scanned: number;
  readonly invalid: number;
  /** Retired totals per counter field, which the main table can no longer confirm. */
  readonly retired: CounterTable;
}

/** Compares two counter tables' live parts; every differing field is a drift. */
export const compareCounters = (expected: CounterTable, actual: CounterTable): Drift[] => {
  const drifts: Drift[] = [];
  for (const counter of new Set([...expected.keys(), ...actual.keys()])) {
    const want = expected.get(counter)?.live ?? new Map<string, bigint>();
    const have = actual.get(counter)?.live ?? new Map<string, bigint>();
    for (const field of new Set([...want.keys(), ...have.keys()])) {
      const e = want.get(field) ?? 0n;
      const a = have.get(field) ?? 0n;
      if (e !== a) drifts.push({ counter, field, expected: e, actual: a });
    }
  }
  return drifts.sort((x, y) => (x.counter + x.field).localeCompare(y.counter + y.field));
};

/**
 * Recomputes the aggregates from the main table and compares them with the live
 * generation. A healthy system has no drift.
 *
 * @example
 * const { drifts } = await verify({ tableName, aggregatesTableName, declarations: aggregates });
 * if (drifts.length > 0) process.exitCode = 1;
 */
export const verify = async (options: MaintenanceOptions): Promise<Verification> => {
  const client = options.client ?? new DynamoDBClient({});
  const generation = await readGeneration(client, options.aggregatesTableName, true);
  const expected = await recompute({ ...options, client });
  const actual = await readCounters(
    client,
    options.aggregatesTableName,
    generation,
    options.segments,
  );
  const retired: CounterTable = new Map();
  for (const [counter, totals] of actual) {
    if (totals.retired.size > 0) retired.set(counter, { live: new Map(), retired: totals.retired });
  }
  return {
    generation,
    drifts: compareCounters(expected.counters, actual),
    countersCompared: new Set([...expected.counters.keys(), ...actual.keys()]).size,
    scanned: expected.scanned,
    invalid: expected.invalid,
    retired,
  };
};

/** Puts items 25 per BatchWriteItem, retrying unprocessed ones until the attempts run out. */
export const writeAll = async (
  client: DynamoDbSender,
  tableName: string,
  items: Record<string, AttributeValue>[],
  policy: RetryPolicy = {},
): Promise<void> => {
  for (let start = 0; start < items.length; start += 25) {
    let requests: WriteRequest[] = items
      .slice(start, start + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    await retry(
      async () => {
        const result = await client.send(
          new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
        );
        requests = result.UnprocessedItems?.[tableName] ?? [];
        if (requests.length > 0) throw new UnprocessedItemsError('BatchWriteItem', requests.length);
      },
      {
        ...AGGREGATES_RETRY_DEFAULTS,
        ...policy,
        retryable: (error) => error instanceof UnprocessedItemsError,
      },
    );
  }
};

const counterItem = (
  generation: number,
  counter: string,
  totals: CounterTotals,
): Record<string, AttributeValue> | undefined => {
  const { partition, sort } = splitCounterId(counter);
  // Rebuilt totals sit on shard 0; the consumer's later deltas spread over the others.
  const key = counterKey(generation, partition, sort, 0);
  const item: Record<string, AttributeValue> = { PK: { S: key.PK }, SK: { S: key.SK } };
  for (const [field, value] of totals.live) if (value !== 0n) item[field] = { N: value.toString() };
  for (const [field, value] of totals.retired)
    if (value !== 0n) item[retiredAttribute(field)] = { N: value.toString() };
  return Object.keys(item).length > 2 ? item : undefined;
};

/** The outcome of {@link rebuild}. */
export interface Rebuild {
  readonly previousGeneration: number;
  readonly generation: number;
  readonly scanned: number;
  readonly invalid: number;
  readonly counters: number;
  readonly states: number;
}

/**
 * Rebuilds every aggregate into a fresh generation and switches the pointer to it in one
 * conditional write, so readers see the old counters or the new, never a mix. Run it with
 * the `update-aggregates` event source mapping paused: a consumer transaction that races the
 * switch fails its generation check and re-plans against the new generation, but records
 * applied to the old generation while the main table was being scanned are not carried.
 * The old generation's items stay behind; delete them once the new one is verified.
 *
 * @example
 * const { generation } = await rebuild({ tableName, aggregatesTableName, declarations: aggregates });
 */
export const rebuild = async (options: MaintenanceOptions): Promise<Rebuild> => {
  const client = options.client ?? new DynamoDBClient({});
  const pointer = { PK: { S: generationPointerKey.PK }, SK: { S: generationPointerKey.SK } };
  const previous = await readGeneration(client, options.aggregatesTableName, true);
  // A generation number is allocated once, so an interrupted rebuild never leaves a half-filled generation to reuse.
  const allocated = await client.send(
    new UpdateItemCommand({
      TableName: options.aggregatesTableName,
      Key: pointer,
      UpdateExpression: 'ADD allocated :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const generation = Math.max(Number(allocated.Attributes?.allocated?.N ?? '1'), previous + 1);
  const recomputed = await recompute({ ...options, client });
  const counters = recomputed.counters;
  const states: Record<string, AttributeValue>[] = [];

  // Carry retired parts, and the state of removed items so their replays stay refused.
  const carried = await readCounters(
    client,
    options.aggregatesTableName,
    previous,
    options.segments,
  );
  for (const [counter, totals] of carried)
    addInto(totalsIn(counters, counter).retired, totals.retired);
  const prefix = generationPrefix(previous);
  await scanSegments(
    client,
    {
      TableName: options.aggregatesTableName,
      FilterExpression: 'begins_with(PK, :state)',
      ExpressionAttributeValues: { ':state': { S: `${prefix}STATE#` } },
    },
    options.segments ?? 4,
    (items) => {
      for (const item of items) {
        if (!isStatePartition(item.PK?.S ?? '')) continue;
        const source = {
          PK: (item.PK?.S ?? '').slice(`${prefix}STATE#`.length),
          SK: item.SK?.S ?? '',
        };
        const state = parseStateItem(item);
        const present = recomputed.contributions.has(`${source.PK}\u0000${source.SK}`);
        if (present) {
          // The item was re-created: its retired part moves back, as the consumer would do.
          const negated = new Map([...state.retired].map(([id, value]) => [id, -value]));
          addToCounters(counters, options.declarations, negated, 'retired');
        } else if (!state.exists) {
          const ttl = item.ttl?.N === undefined ? undefined : Number(item.ttl.N);
          states.push(stateItem(generation, source, state, ttl));
        }
      }
    },
  );
  for (const { PK, SK, contribution } of recomputed.contributions.values()) {
    // Sequence number 0 sorts below every real one: the next record of the item applies against this image.
    states.push(
      stateItem(
        generation,
        { PK, SK },
        { sequenceNumber: '0', live: contribution, retired: new Map(), exists: true },
        undefined,
      ),
    );
  }
  const counterItems = [...counters]
    .map(([counter, totals]) => counterItem(generation, counter, totals))
    .filter((item) => item !== undefined);
  await writeAll(client, options.aggregatesTableName, states);
  await writeAll(client, options.aggregatesTableName, counterItems);
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: options.aggregatesTableName,
        Key: pointer,
        UpdateExpression: 'SET #g = :next, switchedAt = :at',
        ConditionExpression: previous === 0 ? 'attribute_not_exists(#g)' : '#g = :previous',
        ExpressionAttributeNames: { '#g': 'generation' },
        ExpressionAttributeValues: {
          ':next': { N: String(generation) },
          ':at': { S: new Date().toISOString() },
          ...(previous === 0 ? {} : { ':previous': { N: String(previous) } }),
        },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new GenerationSwitchError(previous, { cause: error });
    throw error;
  }
  return {
    previousGeneration: previous,
    generation,
    scanned: recomputed.scanned,
    invalid: recomputed.invalid,
    counters: counterItems.length,
    states: states.length,
  };
};
