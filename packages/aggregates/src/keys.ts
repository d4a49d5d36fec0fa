/**
 * Key shapes of the aggregates table (its physical declaration is `aggregatesTable` in
 * `@pipeline/model`). Every counter and state item is scoped by a generation, so that a
 * rebuild can fill a fresh generation and switch readers and writers to it in one write.
 */

/** The aggregates table's primary key. */
export interface AggregatesKey {
  readonly PK: string;
  readonly SK: string;
}

/** The item naming the live generation. */
export const generationPointerKey: AggregatesKey = { PK: 'META', SK: 'GENERATION' };

/** Prefix of every partition of one generation. */
export const generationPrefix = (generation: number): string => `G${generation}#`;

/** Shard numbers sort as text. */
const shardSuffix = (shard: number): string => String(shard).padStart(3, '0');

/** The partition key of a counter's partition in a generation. */
export const counterPartitionKey = (generation: number, partition: string): string =>
  `${generationPrefix(generation)}${partition}`;

/**
 * One shard of one counter. The shard sits in the sort key, so one Query of the partition
 * (or a BatchGet of the N keys) reads every shard.
 */
export const counterKey = (
  generation: number,
  partition: string,
  sort: string,
  shard: number,
): AggregatesKey => ({
  PK: counterPartitionKey(generation, partition),
  SK: `${sort}#${shardSuffix(shard)}`,
});

/** The logical sort key of a counter item, without its shard suffix. */
export const counterSortOf = (sk: string): string => sk.slice(0, sk.lastIndexOf('#'));

/** The state item of one source item of the main table. */
export const stateKey = (
  generation: number,
  source: { PK: string; SK: string },
): AggregatesKey => ({
  PK: `${generationPrefix(generation)}STATE#${source.PK}`,
  SK: source.SK,
});

/** Whether an aggregates-table partition key holds state items rather than counters. */
export const isStatePartition = (pk: string): boolean => /^G\d+#STATE#/.test(pk);

/** Attribute that holds a counter field's retired part (lifetime aggregates only). */
export const retiredAttribute = (field: string): string => `${field}@retired`;

/** Attributes of a counter item that are keys or bookkeeping, not fields. */
export const NON_FIELD_ATTRIBUTES: ReadonlySet<string> = new Set(['PK', 'SK', 'ttl']);
