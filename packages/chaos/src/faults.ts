import type { DynamoDBRecord } from 'aws-lambda';
import { decide } from './random.js';

/** Every kind of fault a chaos run injects. */
export const FaultKind = {
  /** The handler throws before touching its sink. */
  handlerThrowBefore: 'handlerThrowBefore',
  /** The handler writes to its sink, then throws. */
  handlerThrowAfter: 'handlerThrowAfter',
  /** The same batch reaches the handler twice. */
  duplicateDelivery: 'duplicateDelivery',
  /** The process dies after the handler's sink write, before the checkpoint. */
  crashBeforeCheckpoint: 'crashBeforeCheckpoint',
  /** The local runner is stopped and started again from its checkpoints. */
  runnerRestart: 'runnerRestart',
  /** OpenSearch answers a bulk request with 429 Too Many Requests. */
  search429: 'search429',
  /** OpenSearch answers a bulk request with 500. */
  search500: 'search500',
  /** OpenSearch refuses a bulk request body with 413. */
  search413: 'search413',
  /** A bulk request times out; half the time after OpenSearch applied it. */
  searchTimeout: 'searchTimeout',
  /** DynamoDB answers ProvisionedThroughputExceededException. */
  dynamodbThrottle: 'dynamodbThrottle',
  /** A TransactWriteItems is cancelled with TransactionConflict. */
  dynamodbConflict: 'dynamodbConflict',
  /** An item no consumer can decode sits among the others in the stream. */
  poisonRecord: 'poisonRecord',
  /**
   * The OpenSearch JVM is killed with SIGKILL between two operations and started again on
   * the same port and data directory while the workload keeps writing; only a node the
   * run started itself can be killed.
   */
  searchNodeKilled: 'searchNodeKilled',
} as const;

/** One of the values of {@link FaultKind}. */
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

/** Every fault kind, in a fixed order (for reports and cumulative draws). */
export const faultKinds: readonly FaultKind[] = Object.values(FaultKind);

/** Probability per decision point of each fault kind. */
export type FaultRates = Readonly<Record<FaultKind, number>>;

/**
 * Default rates: high enough that a few hundred operations hit every kind, low enough
 * that most batches get through within their retries.
 */
export const defaultFaultRates: FaultRates = {
  handlerThrowBefore: 0.06,
  handlerThrowAfter: 0.06,
  duplicateDelivery: 0.06,
  crashBeforeCheckpoint: 0.015,
  runnerRestart: 0.012,
  search429: 0.05,
  search500: 0.04,
  search413: 0.03,
  searchTimeout: 0.03,
  dynamodbThrottle: 0.06,
  dynamodbConflict: 0.12,
  poisonRecord: 0.015,
  // Each kill costs a JVM start (6 to 10 s here): about one per run of a few hundred operations.
  searchNodeKilled: 0.004,
};

/**
 * The fault kinds drawn between two workload operations, at the `index`-th of `ops`. The
 * search node is killed only when the run started it, and not in the first third of the
 * run: by then the index holds acknowledged documents that a SIGKILL could lose.
 *
 * @example
 * plan.draw(operationFaultKinds({ index, ops, canKillSearchNode: true }), 'operation', index);
 */
export const operationFaultKinds = (at: {
  readonly index: number;
  readonly ops: number;
  readonly canKillSearchNode: boolean;
}): readonly FaultKind[] =>
  at.canKillSearchNode && at.index >= Math.floor(at.ops / 3)
    ? [FaultKind.poisonRecord, FaultKind.runnerRestart, FaultKind.searchNodeKilled]
    : [FaultKind.poisonRecord, FaultKind.runnerRestart];

/**
 * Decides when faults happen and counts those injected.
 *
 * Decisions depend on the seed and on the data at the decision point (which record leads
 * the batch, which documents a bulk request carries, which items a transaction writes),
 * plus how many times that same point was reached before: never on wall-clock time or call
 * order. What timing still changes is how records group into batches, so with another
 * grouping a fault may land on a different batch.
 *
 * @example
 * const plan = new FaultPlan(42);
 * const kind = plan.draw(['search429', 'search500'], 'bulk', ids);
 * if (kind) plan.record(kind);
 */
export class FaultPlan {
  readonly seed: number;
  readonly rates: FaultRates;
  /** Faults are injected only while enabled. */
  enabled = true;
  readonly #counts = new Map<FaultKind, number>();
  readonly #visits = new Map<string, number>();
  readonly #identities = new Map<string, string>();
  readonly #ordinals = new Map<string, number>();
  readonly #forced = new Set<FaultKind>();
  readonly #everyKind: boolean;

  /**
   * @param everyKind - inject each kind at the first decision point that offers it, then
   *   by its rate; for short runs that must meet every kind whatever the batching.
   */
  constructor(seed: number, rates: Partial<FaultRates> = {}, everyKind = false) {
    this.seed = seed;
    this.rates = { ...defaultFaultRates, ...rates };
    this.#everyKind = everyKind;
  }

  /**
   * Draws at most one of `kinds` for the decision point `point`, with their rates. The
   * `n`-th visit of the same point draws a fresh, equally reproducible number.
   */
  draw(kinds: readonly FaultKind[], ...point: readonly (string | number)[]): FaultKind | undefined {
    if (!this.enabled) return undefined;
    const key = point.join('\u0000');
    const visit = this.#visits.get(key) ?? 0;
    this.#visits.set(key, visit + 1);
    const unmet = this.#everyKind
      ? kinds.find((kind) => !this.#forced.has(kind) && !this.#counts.get(kind))
      : undefined;
    if (unmet) {
      this.#forced.add(unmet);
      return unmet;
    }
    let roll = decide(this.seed, key, visit);
    for (const kind of kinds) {
      roll -= this.rates[kind];
      if (roll < 0) return kind;
    }
    return undefined;
  }

  /** True with probability `p` at the decision point, reproducibly like {@link FaultPlan.draw}. */
  chance(p: number, ...point: readonly (string | number)[]): boolean {
    const key = `chance\u0000${point.join('\u0000')}`;
    const visit = this.#visits.get(key) ?? 0;
    this.#visits.set(key, visit + 1);
    return decide(this.seed, key, visit) < p;
  }

  /** Counts one injected fault. */
  record(kind: FaultKind): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }

  /** Faults injected so far, per kind; every kind is present, 0 when none was injected. */
  counts(): Record<FaultKind, number> {
    return Object.fromEntries(
      faultKinds.map((kind) => [kind, this.#counts.get(kind) ?? 0]),
    ) as Record<FaultKind, number>;
  }

  /**
   * A name for a stream record that is the same in every run of a seed: its item key, its
   * event name and how many records of that item and event came before it. Sequence
   * numbers differ between runs, so they only serve to recognise a redelivered record.
   */
  recordIdentity(record: DynamoDBRecord): string {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    const known = this.#identities.get(sequenceNumber);
    if (known !== undefined) return known;
    const keys = record.dynamodb?.Keys ?? {};
    const item = `${keys.PK?.S ?? ''}|${keys.SK?.S ?? ''}|${record.eventName ?? ''}`;
    const ordinal = this.#ordinals.get(item) ?? 0;
    this.#ordinals.set(item, ordinal + 1);
    const identity = `${item}|${ordinal}`;
    this.#identities.set(sequenceNumber, identity);
    return identity;
  }
}
