import type { EntityType } from '@pipeline/model';

/**
 * How a removal of the source item affects an aggregate.
 * - `gauge`: the item's contribution is withdrawn (orders by status *now*).
 * - `lifetime`: the contribution stays counted (views ever made, orders ever created),
 *   even when the source item is deleted or expires through TTL.
 */
export const AggregateKind = { gauge: 'gauge', lifetime: 'lifetime' } as const;

/** One of the values of {@link AggregateKind}. */
export type AggregateKind = (typeof AggregateKind)[keyof typeof AggregateKind];

/** An unmarshalled source item image, as the stream decoder yields it. */
export type SourceImage = Readonly<Record<string, unknown>>;

/** One value a source item contributes to one field of one logical counter. */
export interface Cell {
  /** Logical counter id within the aggregate, such as a status, a day or a product id. */
  readonly counter: string;
  /** Attribute of the counter item, such as `orders` or `revenue#EUR`. */
  readonly field: string;
  /** Integer contribution; money is in minor units. */
  readonly value: bigint;
}

/** Where a logical counter lives, before generation and shard are added. */
export interface CounterLocation {
  readonly partition: string;
  readonly sort: string;
}

/**
 * One aggregate, declared as data. Adding an aggregate is one declaration in
 * `declarations.ts` plus a test; the consumer, rebuild and verify pick it up.
 */
export interface AggregateDeclaration {
  /** Stable name; it is part of every state entry, so never rename a live aggregate. */
  readonly name: string;
  readonly kind: AggregateKind;
  /** Entity type of the main-table items that feed it. */
  readonly source: EntityType;
  /** Write shards per counter, 1 or more; reads sum them. */
  readonly shards: number;
  /** What one item image contributes. Must depend on the image alone, never on time or order. */
  contribute(image: SourceImage): readonly Cell[];
  /** The counter item's partition and sort key parts for a logical counter id. */
  locate(counter: string): CounterLocation;
}

/**
 * What one source item contributes across every aggregate: cell id → integer.
 * Cell ids are `<aggregate>|<counter>|<field>`; zero entries are left out.
 */
export type Contribution = ReadonlyMap<string, bigint>;

/** Per-source-item state kept in the aggregates table. */
export interface ItemState {
  /** Sequence number of the stream record whose image is applied. */
  readonly sequenceNumber: string;
  /** Contribution currently counted in the live part of the counters. */
  readonly live: Contribution;
  /** Contribution of a removed item that lifetime aggregates keep counting. */
  readonly retired: Contribution;
  /** Whether the source item exists as of {@link sequenceNumber}. */
  readonly exists: boolean;
}
