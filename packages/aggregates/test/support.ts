import { EntityType, keys, type Order } from '@pipeline/model';
import { orderItem } from '@pipeline/testing';
import { addInto, parseCellId } from '../src/cells.js';
import { aggregates } from '../src/declarations.js';
import { planBatch, type SourceChange } from '../src/plan.js';
import type { ItemState } from '../src/types.js';

type Image = Record<string, unknown> & { PK: string; SK: string; entityType: string };

let sequence = 500_000_000_000_000_000_000n;

/** A fresh rising sequence number. */
export const seq = (): string => {
  sequence += 10n;
  return sequence.toString();
};

/**
 * A new order of one item as the store writes it (updated when created), with its total
 * given by amount and currency.
 */
export const order = ({
  amount = 1250,
  currency = 'EUR',
  ...overrides
}: Partial<Omit<Order, 'total'>> & { amount?: number; currency?: string } = {}) =>
  orderItem({
    itemCount: 1,
    total: { amount, currency },
    ...(overrides.createdAt ? { updatedAt: overrides.createdAt } : {}),
    ...overrides,
  }) as Image;

/** A product view image. */
export const view = (overrides: { productId?: string; viewId?: string; at?: string } = {}) => {
  const productId = overrides.productId ?? 'p1';
  const viewId = overrides.viewId ?? 'v1';
  const at = overrides.at ?? '2024-05-01T12:00:00.000Z';
  return {
    ...keys.productView(productId, at, viewId),
    entityType: EntityType.productView,
    productId,
    viewId,
    at,
    ttl: 1_900_000_000,
    createdAt: at,
    updatedAt: at,
    rev: 1,
  };
};

const change = (
  kind: SourceChange['kind'],
  image: Image,
  old: Image | undefined,
  sequenceNumber = seq(),
): SourceChange => ({
  kind,
  keys: { PK: image.PK, SK: image.SK },
  itemKey: `${image.PK}\u0000${image.SK}`,
  entityType: image.entityType,
  newImage: kind === 'remove' ? undefined : image,
  oldImage: old,
  sequenceNumber,
});

/** Change factories for unit tests (the integration tests use Lambda-shaped records). */
export const put = (image: Image, old?: Image, sequenceNumber?: string) =>
  change(old ? 'modify' : 'insert', image, old, sequenceNumber);
export const remove = (image: Image, sequenceNumber?: string) =>
  change('remove', image, image, sequenceNumber);

/** An in-memory aggregates table: state per item and counters per cell, live and retired. */
export class MemoryAggregates {
  readonly states = new Map<string, ItemState>();
  readonly live = new Map<string, bigint>();
  readonly retired = new Map<string, bigint>();

  apply(changes: readonly SourceChange[]): void {
    const plan = planBatch(changes, {
      declarations: aggregates,
      states: this.states,
      now: 1_700_000_000,
      replayHorizonSeconds: 3600,
    });
    for (const item of plan.items) {
      this.states.set(item.itemKey, item.next);
      addInto(this.live, item.liveDelta);
      addInto(this.retired, item.retiredDelta);
    }
  }

  /** live + retired per cell. */
  totals(): Map<string, bigint> {
    return addInto(new Map(this.live), this.retired);
  }
}

/** The sum of one field of one aggregate over every counter. */
export const fieldTotal = (
  cells: ReadonlyMap<string, bigint>,
  aggregate: string,
  field: string,
): bigint => {
  let sum = 0n;
  for (const [id, value] of cells) {
    const cell = parseCellId(id);
    if (cell.aggregate === aggregate && cell.field === field) sum += value;
  }
  return sum;
};
