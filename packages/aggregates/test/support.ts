import { EntityType, keys } from '@pipeline/model';
import { addInto, parseCellId } from '../src/cells.js';
import { aggregates } from '../src/declarations.js';
import { planBatch, type SourceChange } from '../src/plan.js';
import type { ItemState } from '../src/types.js';

let sequence = 500_000_000_000_000_000_000n;

/** A fresh rising sequence number. */
export const seq = (): string => {
  sequence += 10n;
  return sequence.toString();
};

/** An order image as the store writes it. */
export const order = (
  overrides: {
    orderId?: string;
    userId?: string;
    status?: string;
    amount?: number;
    currency?: string;
    createdAt?: string;
  } = {},
) => {
  const orderId = overrides.orderId ?? 'o1';
  const userId = overrides.userId ?? 'u1';
  const createdAt = overrides.createdAt ?? '2024-05-01T12:00:00.000Z';
  return {
    ...keys.order(userId, createdAt, orderId),
    entityType: EntityType.order,
    orderId,
    userId,
    status: overrides.status ?? 'pending',
    total: { amount: overrides.amount ?? 1250, currency: overrides.currency ?? 'EUR' },
    itemCount: 1,
    flagged: false,
    createdAt,
    updatedAt: createdAt,
    rev: 1,
  };
};

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

type Image = Record<string, unknown> & { PK: string; SK: string; entityType: string };

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
