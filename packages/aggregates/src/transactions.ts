import type { AttributeValue, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { parseCellId } from './cells.js';
import { counterKey, generationPointerKey, retiredAttribute, stateKey } from './keys.js';
import type { ItemPlan } from './plan.js';
import type { AggregateDeclaration, Contribution, ItemState } from './types.js';

/** DynamoDB's limit of items per TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

/** 32-bit FNV-1a: small, fast and stable across runtimes. */
export const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
};

/**
 * The shard a batch writes for an aggregate. It hashes the batch's first sequence number,
 * so concurrent batches (other shards, other lanes) spread over the shards while a retry of
 * the same batch lands on the same one.
 *
 * @example
 * shardFor('4900000000000000000000001', 'product-views', 8) // 0..7
 */
export const shardFor = (seed: string, aggregate: string, shards: number): number =>
  shards <= 1 ? 0 : fnv1a(`${aggregate}/${seed}`) % shards;

const toMap = (contribution: Contribution): AttributeValue => ({
  M: Object.fromEntries([...contribution].map(([id, value]) => [id, { N: value.toString() }])),
});

/** The state item's attributes, key included. */
export const stateItem = (
  generation: number,
  source: { PK: string; SK: string },
  state: ItemState,
  ttl: number | undefined,
): Record<string, AttributeValue> => {
  const key = stateKey(generation, source);
  const item: Record<string, AttributeValue> = {
    PK: { S: key.PK },
    SK: { S: key.SK },
    seq: { S: state.sequenceNumber },
    live: toMap(state.live),
    retired: toMap(state.retired),
    exists: { BOOL: state.exists },
  };
  if (ttl !== undefined) item.ttl = { N: String(ttl) };
  return item;
};

/** One counter item's summed field deltas within one transaction. */
export interface CounterWrite {
  readonly key: { readonly PK: string; readonly SK: string };
  /** Attribute → delta; retired parts use {@link retiredAttribute}. */
  readonly deltas: ReadonlyMap<string, bigint>;
}

/** Builds the ADD update of one counter item. */
export const buildCounterUpdate = (tableName: string, write: CounterWrite): TransactWriteItem => {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const adds: string[] = [];
  let index = 0;
  for (const [attribute, delta] of write.deltas) {
    names[`#a${index}`] = attribute;
    values[`:v${index}`] = { N: delta.toString() };
    adds.push(`#a${index} :v${index}`);
    index++;
  }
  return {
    Update: {
      TableName: tableName,
      Key: { PK: { S: write.key.PK }, SK: { S: write.key.SK } },
      UpdateExpression: `ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
};

/** Builds the conditional Put of a state item: it must still be at the sequence number read. */
export const buildStatePut = (
  tableName: string,
  generation: number,
  item: ItemPlan,
): TransactWriteItem => {
  const expected = item.expectedSequenceNumber;
  return {
    Put: {
      TableName: tableName,
      Item: stateItem(generation, item.source, item.next, item.ttl),
      ...(expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(PK)' }
        : {
            ConditionExpression: 'seq = :expected',
            ExpressionAttributeValues: { ':expected': { S: expected } },
          }),
    },
  };
};

/** Refuses the transaction when a rebuild switched the generation after it was read. */
export const buildGenerationCheck = (tableName: string, generation: number): TransactWriteItem => ({
  ConditionCheck: {
    TableName: tableName,
    Key: { PK: { S: generationPointerKey.PK }, SK: { S: generationPointerKey.SK } },
    ExpressionAttributeNames: { '#g': 'generation' },
    // Generation 0 has no pointer value; a rebuild may have created the item to allocate one.
    ...(generation === 0
      ? { ConditionExpression: 'attribute_not_exists(#g)' }
      : {
          ConditionExpression: '#g = :g',
          ExpressionAttributeValues: { ':g': { N: String(generation) } },
        }),
  },
});

/** One TransactWriteItems and the items whose state it carries. */
export interface PlannedTransaction {
  readonly transactItems: TransactWriteItem[];
  readonly items: readonly ItemPlan[];
  readonly counterWrites: readonly CounterWrite[];
}

/** Inputs of {@link buildTransactions}. */
export interface BuildTransactionsOptions {
  readonly tableName: string;
  readonly generation: number;
  readonly declarations: readonly AggregateDeclaration[];
  /** The batch's first sequence number; picks the shards. */
  readonly seed: string;
  /** @default 100 */
  readonly maxItems?: number;
}

/**
 * Packs item plans into transactions of at most 100 items. Each transaction carries the
 * generation check, its items' state Puts and one ADD per distinct counter shard with the
 * sum of exactly those items' deltas, so no counter delta ever commits without the state
 * update it came from, even when a batch needs several transactions.
 *
 * @example
 * for (const tx of buildTransactions(plan.items, { tableName, generation, declarations, seed })) {
 *   await client.send(new TransactWriteItemsCommand({ TransactItems: tx.transactItems }));
 * }
 */
export const buildTransactions = (
  items: readonly ItemPlan[],
  options: BuildTransactionsOptions,
): PlannedTransaction[] => {
  const maxItems = options.maxItems ?? MAX_TRANSACTION_ITEMS;
  const byName = new Map(
    options.declarations.map((declaration) => [declaration.name, declaration]),
  );
  const shardOf = new Map(
    options.declarations.map((d) => [d.name, shardFor(options.seed, d.name, d.shards)]),
  );
  const counterDeltas = (item: ItemPlan): Map<string, CounterWrite> => {
    const writes = new Map<string, CounterWrite>();
    const add = (contribution: Contribution, retired: boolean) => {
      for (const [id, delta] of contribution) {
        const { aggregate, counter, field } = parseCellId(id);
        const declaration = byName.get(aggregate);
        // A state written by an aggregate since removed from the declarations adds nothing.
        if (!declaration) continue;
        const { partition, sort } = declaration.locate(counter);
        const key = counterKey(options.generation, partition, sort, shardOf.get(aggregate) ?? 0);
        const id2 = `${key.PK}\u0000${key.SK}`;
        const write = writes.get(id2) ?? { key, deltas: new Map<string, bigint>() };
        const attribute = retired ? retiredAttribute(field) : field;
        (write.deltas as Map<string, bigint>).set(
          attribute,
          (write.deltas.get(attribute) ?? 0n) + delta,
        );
        writes.set(id2, write);
      }
    };
    add(item.liveDelta, false);
    add(item.retiredDelta, true);
    return writes;
  };

  // Items that move the same counters go into the same transaction where possible, so a
  // batch that needs several transactions repeats as few counter writes as it can.
  const withWrites = items.map((item) => {
    const writes = counterDeltas(item);
    return { item, writes, order: [...writes.keys()].sort().join('\u0001') };
  });
  withWrites.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));

  const transactions: PlannedTransaction[] = [];
  let current: ItemPlan[] = [];
  let counters = new Map<string, CounterWrite>();
  const flush = () => {
    if (current.length === 0) return;
    const counterWrites = [...counters.values()]
      .map((write) => ({
        key: write.key,
        deltas: new Map([...write.deltas].filter(([, delta]) => delta !== 0n)),
      }))
      .filter((write) => write.deltas.size > 0);
    transactions.push({
      transactItems: [
        buildGenerationCheck(options.tableName, options.generation),
        ...current.map((item) => buildStatePut(options.tableName, options.generation, item)),
        ...counterWrites.map((write) => buildCounterUpdate(options.tableName, write)),
      ],
      items: current,
      counterWrites,
    });
    current = [];
    counters = new Map();
  };
  for (const { item, writes } of withWrites) {
    const added = [...writes.keys()].filter((id) => !counters.has(id)).length;
    if (current.length > 0 && 1 + current.length + 1 + counters.size + added > maxItems) flush();
    current.push(item);
    for (const [id, write] of writes) {
      const existing = counters.get(id);
      if (!existing) {
        counters.set(id, { key: write.key, deltas: new Map(write.deltas) });
        continue;
      }
      const deltas = existing.deltas as Map<string, bigint>;
      for (const [attribute, delta] of write.deltas)
        deltas.set(attribute, (deltas.get(attribute) ?? 0n) + delta);
    }
  }
  flush();
  return transactions;
};
