/**
 * Scheduling: which record runs when. Records of one item (PK + SK) run one after another
 * in stream order; once one fails (or cannot be decoded), the later records of that item
 * in this batch are skipped. Records of other items go on, at most `concurrency` items at
 * a time.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { rawItemKey, tryDecodeRecord } from './decode.js';
import { DecodeError } from './errors.js';
import { type Outcomes, sequenceNumberOf } from './report.js';
import type { ChangeEvent } from './types.js';

/**
 * Per-item isolation: remembers the items with a failed record in this batch, and the
 * sequence number that blocked each, so that their later records are skipped.
 */
export class ItemGate {
  readonly #records: readonly DynamoDBRecord[];
  readonly #outcomes: Outcomes;
  readonly #blocked = new Map<string, string>();
  constructor(records: readonly DynamoDBRecord[], outcomes: Outcomes) {
    this.#records = records;
    this.#outcomes = outcomes;
  }

  /**
   * The decoded change of record `index` when it may run; otherwise `undefined`, with the
   * record skipped (its item is blocked) or failed (it cannot be decoded, which blocks its
   * item when its keys are readable). `key` is the record's raw item key when the caller
   * knows it; it is read from the record only when some item is blocked or decoding fails.
   */
  admit(index: number, key?: string): ChangeEvent | undefined {
    const record = this.#records[index]!;
    if (this.#blocked.size > 0) {
      const blocker = this.#blocked.get(key ?? rawItemKey(record) ?? '');
      if (blocker !== undefined) {
        this.#outcomes.skipped(index, blocker);
        return undefined;
      }
    }
    const decoded = tryDecodeRecord(record);
    if (!(decoded instanceof DecodeError)) return decoded;
    this.#outcomes.undecodable(index, decoded);
    const itemKey = key ?? rawItemKey(record);
    if (itemKey !== undefined) {
      this.#blocked.set(itemKey, sequenceNumberOf(record) ?? 'undecodable record');
    }
    return undefined;
  }

  /** Record `index`, decoded to `change`, failed: the later records of its item are skipped. */
  fail(index: number, change: ChangeEvent, error: unknown): void {
    this.#outcomes.failed(index, change, error);
    this.#blocked.set(change.itemKey, change.sequenceNumber);
  }
}

/**
 * Runs record `index`, whose raw item key is `key` when the scheduler knows it; returns a
 * promise when the record is still running, which the scheduler awaits before the next
 * record of the same item.
 */
export type Step = (index: number, key: string | undefined) => PromiseLike<unknown> | undefined;

/** Records in the order one worker runs them. */
interface Sequence {
  /** The index of the next record to run, or -1 when there is none. */
  next(): number;
  /** The raw item key of the record `next` returned, when known. */
  readonly key: string | undefined;
  /** Goes on after the record `next` returned, which is still `running`. */
  resume(running: PromiseLike<unknown>): Promise<void>;
}

/**
 * Runs a sequence's records one after another: synchronously while `step` answers
 * synchronously, with no promise at all; a record that is still running is awaited.
 * Returns `undefined` when every record ran synchronously.
 */
const drive = (sequence: Sequence, step: Step): Promise<void> | undefined => {
  for (let index = sequence.next(); index !== -1; index = sequence.next()) {
    const running = step(index, sequence.key);
    if (running !== undefined) return sequence.resume(running);
  }
  return undefined;
};

/** The records of one item, in stream order; `key` is undefined for a record without keys. */
interface Lane {
  readonly key: string | undefined;
  readonly indices: number[];
}

const NO_LANE: Lane = { key: undefined, indices: [] };

/** Lanes, in the stream order of their first record, handed out to workers one by one. */
class Lanes {
  readonly #lanes: Lane[];
  #next = 1;
  /** The lanes of records `from` on; the first belongs to whoever runs record `from`. */
  constructor(records: readonly DynamoDBRecord[], from: number) {
    const byKey = new Map<string, Lane>();
    this.#lanes = [];
    for (let index = from; index < records.length; index++) {
      const key = rawItemKey(records[index]!);
      const lane = key === undefined ? undefined : byKey.get(key);
      if (lane !== undefined) {
        lane.indices.push(index);
        continue;
      }
      const created: Lane = { key, indices: [index] };
      if (key !== undefined) byKey.set(key, created);
      this.#lanes.push(created);
    }
  }
  get first(): Lane {
    return this.#lanes[0]!;
  }
  get waiting(): boolean {
    return this.#next < this.#lanes.length;
  }
  claim(): Lane | undefined {
    return this.#lanes[this.#next++];
  }
}

/** One of at most `concurrency` workers: runs a lane to its end, then claims the next. */
class Worker implements Sequence {
  readonly #lanes: Lanes;
  readonly #step: Step;
  #lane: Lane;
  #position: number;
  constructor(lanes: Lanes, step: Step, lane = NO_LANE, position = 0) {
    this.#lanes = lanes;
    this.#step = step;
    this.#lane = lane;
    this.#position = position;
  }
  get key(): string | undefined {
    return this.#lane.key;
  }
  next(): number {
    while (this.#position === this.#lane.indices.length) {
      const lane = this.#lanes.claim();
      if (lane === undefined) return -1;
      this.#lane = lane;
      this.#position = 0;
    }
    return this.#lane.indices[this.#position++]!;
  }
  resume(running: PromiseLike<unknown>): Promise<void> {
    return Promise.resolve(running).then(() => drive(this, this.#step));
  }
}

/**
 * The whole batch in stream order, which is per-item order, run by one worker while `step`
 * answers synchronously: no lanes, no item keys, no promises. At the first record that is
 * still running, the rest of the batch is dealt into per-item lanes: that record's worker
 * goes on with its item's lane once it is done, and the other workers start on the
 * following lanes at once.
 */
class StreamOrder implements Sequence {
  readonly #records: readonly DynamoDBRecord[];
  readonly #concurrency: number;
  readonly #step: Step;
  #position = 0;
  readonly key = undefined;
  constructor(records: readonly DynamoDBRecord[], concurrency: number, step: Step) {
    this.#records = records;
    this.#concurrency = concurrency;
    this.#step = step;
  }
  next(): number {
    return this.#position < this.#records.length ? this.#position++ : -1;
  }
  resume(running: PromiseLike<unknown>): Promise<void> {
    const lanes = new Lanes(this.#records, this.#position - 1);
    const heir = new Worker(lanes, this.#step, lanes.first, 1);
    const workers = [Promise.resolve(running).then(() => drive(heir, this.#step))];
    for (let slot = 1; slot < this.#concurrency && lanes.waiting; slot++) {
      const worker = drive(new Worker(lanes, this.#step), this.#step);
      if (worker !== undefined) workers.push(worker);
    }
    return Promise.all(workers).then(() => undefined);
  }
}

/**
 * Runs `step` once for every record of a batch: the records of one item one after another
 * in stream order, records of different items concurrently, at most `concurrency` items at
 * a time. Returns `undefined` when every step answered synchronously.
 */
export const runByItem = (
  records: readonly DynamoDBRecord[],
  concurrency: number,
  step: Step,
): Promise<void> | undefined => drive(new StreamOrder(records, concurrency, step), step);
