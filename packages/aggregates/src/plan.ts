/**
 * The decision logic of the consumer, pure: from a batch of changes and the stored
 * per-item state, what each item's new state is and what it adds to the counters.
 *
 * Why the effect is exactly once although delivery is at least once:
 *
 * 1. An item's contribution is a function of one image alone (see `contribute` on each
 *    declaration), never of the previous image or of the time it is applied.
 * 2. The state item stores the contribution currently counted (`live`, and for lifetime
 *    aggregates the part kept after a removal, `retired`) and the sequence number of the
 *    record it came from. A record with sequence number `s` is applied only when `s` is
 *    greater than the stored one, and what it adds is `contribution(record) − stored`.
 * 3. Hence the state after any set of records of an item is a function of the record with
 *    the highest sequence number in that set, and the counters always equal the sum, over
 *    all state items, of what they store (the transaction writes the state and its deltas
 *    together, conditional on the stored sequence number it read).
 *
 * Consequences: a duplicate (same sequence number) adds nothing; an older record arriving
 * late (a replay, a bisected half, a second concurrent lane) is refused; a lost record
 * leaves no drift because the next record of the item carries the whole image, and its
 * difference against the stored contribution includes whatever the lost one would have
 * added. Coalescing a batch to the last record per item is the same rule applied early.
 *
 * Lifetime aggregates: a removal moves the contribution from `live` to `retired` instead of
 * dropping it, so the read total (live + retired) does not fall when a view expires or an
 * order is deleted. A re-created item moves it back (`retired` is subtracted, the new
 * contribution added), so the same key is never counted twice while its state exists. The
 * state of a removed item is kept for the replay horizon, which must exceed the stream's
 * 24 h retention, so no replay can reach an item whose state has expired; a key re-created
 * after that is counted as a new item.
 */

import { addInto, cellId, EMPTY, parseCellId, subtract } from './cells.js';
import { InvalidSourceImageError } from './errors.js';
import { compareSequenceNumbers } from './sequence.js';
import type { AggregateDeclaration, Contribution, ItemState, SourceImage } from './types.js';

/** The parts of a stream change the planner reads; `ChangeEvent` from `@pipeline/streams` fits. */
export interface SourceChange {
  readonly kind: 'insert' | 'modify' | 'remove';
  readonly keys: { readonly PK: string; readonly SK: string };
  readonly itemKey: string;
  readonly entityType: string;
  readonly newImage: SourceImage | undefined;
  readonly oldImage: SourceImage | undefined;
  readonly sequenceNumber: string;
}

/** What a batch does to one source item. */
export interface ItemPlan {
  readonly itemKey: string;
  readonly source: { readonly PK: string; readonly SK: string };
  /** Sequence number the stored state must still have; `undefined` means no state yet. */
  readonly expectedSequenceNumber: string | undefined;
  readonly next: ItemState;
  /** Epoch seconds after which the state may go: set once the source is gone. */
  readonly ttl: number | undefined;
  readonly liveDelta: Contribution;
  readonly retiredDelta: Contribution;
  /** Every record of the item in the batch, for failure reporting. */
  readonly sequenceNumbers: readonly string[];
}

/** Records that were not applied, and why. */
export interface PlanSkips {
  /** Same sequence number as the stored state: already applied. */
  duplicates: number;
  /** Older than the stored state: refused. */
  stale: number;
  /** Older than a later record of the same item in this batch: folded into it. */
  coalesced: number;
}

/** Items whose image an aggregate cannot read. */
export interface InvalidItem {
  readonly itemKey: string;
  readonly sequenceNumbers: readonly string[];
  readonly error: InvalidSourceImageError;
}

/** The outcome of planning a batch. */
export interface BatchPlan {
  readonly items: readonly ItemPlan[];
  readonly skips: PlanSkips;
  readonly invalid: readonly InvalidItem[];
}

/** Inputs of {@link planBatch} besides the changes. */
export interface PlanOptions {
  readonly declarations: readonly AggregateDeclaration[];
  /** Stored state per item key; a missing entry means the item has none. */
  readonly states: ReadonlyMap<string, ItemState | undefined>;
  /** Epoch seconds. */
  readonly now: number;
  /** Seconds a removed item's state is kept; must exceed stream retention plus retries. */
  readonly replayHorizonSeconds: number;
}

/** Two days: beyond the 24 h stream retention, with room for a DLQ replay. */
export const DEFAULT_REPLAY_HORIZON_SECONDS = 48 * 3600;

/**
 * What an image contributes to every aggregate fed by its entity type. Throws
 * {@link InvalidSourceImageError} when an aggregate cannot read the image.
 *
 * @example
 * contributionOf(aggregates, 'Order', order) // Map { 'orders-by-status|paid|orders' => 1n, … }
 */
export const contributionOf = (
  declarations: readonly AggregateDeclaration[],
  entityType: string,
  image: SourceImage,
): Map<string, bigint> => {
  const contribution = new Map<string, bigint>();
  for (const declaration of declarations) {
    if (declaration.source !== entityType) continue;
    for (const cell of declaration.contribute(image)) {
      if (typeof cell.value !== 'bigint') {
        throw new InvalidSourceImageError(declaration.name, cell.field, 'must contribute a bigint');
      }
      addInto(
        contribution,
        new Map([[cellId(declaration.name, cell.counter, cell.field), cell.value]]),
      );
    }
  }
  return contribution;
};

/** The cells of a contribution that belong to lifetime aggregates. */
export const lifetimePart = (
  declarations: readonly AggregateDeclaration[],
  contribution: Contribution,
): Map<string, bigint> => {
  const lifetime = new Set(declarations.filter((d) => d.kind === 'lifetime').map((d) => d.name));
  const result = new Map<string, bigint>();
  for (const [id, value] of contribution) {
    if (lifetime.has(parseCellId(id).aggregate)) result.set(id, value);
  }
  return result;
};

const NO_STATE: ItemState = { sequenceNumber: '', live: EMPTY, retired: EMPTY, exists: false };

/**
 * The state an item moves to when `change` is the newest record applied to it.
 * Exported for the recomputation, which applies the same rule to scanned items.
 */
export const nextState = (
  declarations: readonly AggregateDeclaration[],
  stored: ItemState,
  change: SourceChange,
): ItemState => {
  if (change.kind !== 'remove' && change.newImage !== undefined) {
    return {
      sequenceNumber: change.sequenceNumber,
      live: contributionOf(declarations, change.entityType, change.newImage),
      retired: EMPTY,
      exists: true,
    };
  }
  // The old image is the item as it was removed; fall back to the stored contribution when
  // the stream carries no old image.
  const last = change.oldImage
    ? contributionOf(declarations, change.entityType, change.oldImage)
    : stored.exists
      ? stored.live
      : stored.retired;
  return {
    sequenceNumber: change.sequenceNumber,
    live: EMPTY,
    retired: lifetimePart(declarations, last),
    exists: false,
  };
};

/**
 * Plans a batch: coalesces it to the newest record per item, refuses records that are not
 * newer than the stored state, and computes each item's deltas against that state.
 *
 * @example
 * const plan = planBatch(changes, { declarations: aggregates, states, now, replayHorizonSeconds });
 */
export const planBatch = (changes: readonly SourceChange[], options: PlanOptions): BatchPlan => {
  const sources = new Set(options.declarations.map((declaration) => declaration.source));
  const byItem = new Map<string, SourceChange[]>();
  for (const change of changes) {
    if (!sources.has(change.entityType as AggregateDeclaration['source'])) continue;
    const records = byItem.get(change.itemKey);
    if (records) records.push(change);
    else byItem.set(change.itemKey, [change]);
  }
  const skips: PlanSkips = { duplicates: 0, stale: 0, coalesced: 0 };
  const items: ItemPlan[] = [];
  const invalid: InvalidItem[] = [];
  for (const [itemKey, records] of byItem) {
    const sequenceNumbers = records.map((record) => record.sequenceNumber);
    const newest = records.reduce((a, b) =>
      compareSequenceNumbers(b.sequenceNumber, a.sequenceNumber) > 0 ? b : a,
    );
    const stored = options.states.get(itemKey);
    const order = stored ? compareSequenceNumbers(newest.sequenceNumber, stored.sequenceNumber) : 1;
    if (order <= 0) {
      for (const record of records) {
        if (stored && record.sequenceNumber === stored.sequenceNumber) skips.duplicates++;
        else skips.stale++;
      }
      continue;
    }
    for (const record of records) {
      if (record === newest) continue;
      if (stored && compareSequenceNumbers(record.sequenceNumber, stored.sequenceNumber) < 0)
        skips.stale++;
      else if (stored && record.sequenceNumber === stored.sequenceNumber) skips.duplicates++;
      else skips.coalesced++;
    }
    let next: ItemState;
    try {
      next = nextState(options.declarations, stored ?? NO_STATE, newest);
    } catch (error) {
      if (!(error instanceof InvalidSourceImageError)) throw error;
      invalid.push({ itemKey, sequenceNumbers, error });
      continue;
    }
    const before = stored ?? NO_STATE;
    items.push({
      itemKey,
      source: newest.keys,
      expectedSequenceNumber: stored?.sequenceNumber,
      next,
      ttl: next.exists ? undefined : options.now + options.replayHorizonSeconds,
      liveDelta: subtract(next.live, before.live),
      retiredDelta: subtract(next.retired, before.retired),
      sequenceNumbers,
    });
  }
  return { items, skips, invalid };
};
