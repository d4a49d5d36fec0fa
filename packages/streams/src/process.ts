/**
 * Batch processing with item-by-item failure reporting, and why it is safe.
 *
 * Lambda's rule: with ReportBatchItemFailures, Lambda checkpoints at the LOWEST sequence
 * number in `batchItemFailures` and redelivers every record of the batch from that one on,
 * in order; records below it are done for good. An empty list means success; a missing,
 * empty or unknown identifier fails the whole batch.
 *
 * Per-key isolation: records of one item (PK + SK) run one after another in stream order;
 * once one fails (or cannot be decoded), the later records of that item in this batch are
 * not applied ("skipped"). Records of other items go on.
 *
 * Why that plus "report the lowest failed sequence number" loses nothing:
 * - every record below the lowest failure was applied: a record that was not applied is
 *   either failed (so the lowest failure is at or below it) or skipped, and a skipped
 *   record comes after a failed record of its own item, so after the lowest failure too;
 * - everything from the lowest failure on is redelivered, including the failed and
 *   skipped records, in their original per-item order, so no item ever sees a later
 *   change applied before an earlier one that failed;
 * - records of other items above the checkpoint that were applied are redelivered and
 *   applied again: every consumer must be idempotent (external versions, per-item state
 *   with sequence numbers), which delivery at least once demands anyway.
 *
 * We report only the lowest failed sequence number, not every failed one: Lambda uses only
 * the minimum, so one identifier says exactly what happens (everything from here on comes
 * back), while a list would suggest that only the listed records are retried. The full
 * picture is in the {@link BatchReport} for logs and tests.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { rawItemKey, tryDecodeRecord } from './decode.js';
import { DecodeError, InvalidHandlerResultError, UnreportableFailureError } from './errors.js';
import { defaultLogger, type LogSink, RecordLogger } from './logging.js';
import { addBatchMetrics, type BatchCounts, type MetricsSink } from './metrics.js';
import { compareSequenceNumbers, isSequenceNumber, lowestSequenceNumber } from './sequence.js';
import type { ChangeEvent } from './types.js';

/** Options shared by {@link processRecords} and {@link processBatch}. */
export interface ProcessOptions {
  /** Your function's Powertools `Logger`. @default a Logger with serviceName `stream-processor` */
  readonly logger?: LogSink;
  /** Your function's Powertools `Metrics`; the processor adds, you publish. @default none */
  readonly metrics?: MetricsSink;
  /** Clock for `BatchAgeMs`, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Options of {@link processRecords}. */
export interface ProcessRecordsOptions extends ProcessOptions {
  /** Items whose records run at the same time; records of one item never overlap. @default 16 */
  readonly concurrency?: number;
}

/** What a record handler gets beside the change. */
export interface RecordContext {
  /** Logs with this record's sequence number and event id; extras are redacted. */
  readonly logger: RecordLogger;
  /** The raw Lambda record. */
  readonly record: DynamoDBRecord;
}

/** Applies one change; throw (or reject) to fail it. May return synchronously. */
export type RecordHandler = (change: ChangeEvent, ctx: RecordContext) => Promise<void> | void;

/** A record a batch handler could not apply, and why. */
export interface HandlerFailure {
  readonly sequenceNumber: string;
  readonly error: unknown;
}

/** What a batch handler returns: `void` when every change was applied. */
export interface BatchHandlerResult {
  readonly failures: readonly HandlerFailure[];
}

/** What a batch handler gets beside the changes. */
export interface BatchContext {
  /** Logs with the batch's first and last sequence numbers; extras are redacted. */
  readonly logger: RecordLogger;
  /** A logger bound to one change of the batch. */
  loggerFor(change: ChangeEvent): RecordLogger;
}

/** Applies a whole batch at once (bulk request, transaction) and maps sink errors to records. */
export type BatchHandler = (
  changes: readonly ChangeEvent[],
  ctx: BatchContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: an async handler that returns nothing is Promise<void>.
) => Promise<BatchHandlerResult | undefined | void> | BatchHandlerResult | undefined | void;

/** A record that was not applied, with its error (a {@link DecodeError} for poison pills). */
export interface FailedRecord {
  readonly sequenceNumber: string | undefined;
  readonly eventID: string | undefined;
  readonly error: unknown;
}

/** Everything that happened to a batch; `response` is what the Lambda handler returns. */
export interface BatchReport {
  readonly response: DynamoDBBatchResponse;
  readonly applied: readonly string[];
  readonly failed: readonly FailedRecord[];
  /** Not applied because an earlier record of the same item failed. */
  readonly skipped: readonly string[];
  readonly counts: BatchCounts;
}

const PENDING = 0;
const APPLIED = 1;
const FAILED = 2;
const SKIPPED = 3;

class Context implements RecordContext {
  readonly record: DynamoDBRecord;
  readonly #sink: LogSink;
  readonly #change: ChangeEvent;
  #logger: RecordLogger | undefined;
  constructor(sink: LogSink, change: ChangeEvent, record: DynamoDBRecord) {
    this.#sink = sink;
    this.#change = change;
    this.record = record;
  }
  get logger(): RecordLogger {
    this.#logger ??= recordLogger(this.#sink, this.#change);
    return this.#logger;
  }
}

const recordLogger = (sink: LogSink, change: ChangeEvent): RecordLogger =>
  new RecordLogger(sink, {
    sequenceNumber: change.sequenceNumber,
    eventID: change.eventID,
    entityType: change.entityType,
    kind: change.kind,
  });

const sequenceNumberOf = (record: DynamoDBRecord): string | undefined => {
  const sequenceNumber = record?.dynamodb?.SequenceNumber;
  return isSequenceNumber(sequenceNumber) ? sequenceNumber : undefined;
};

/**
 * State of one batch while it is processed: one slot per record, in delivery order. It
 * keeps statuses, not decoded changes: a change is decoded right before its handler runs
 * and dropped after, so its images die young instead of surviving the whole batch and
 * costing the garbage collector more than the decoding itself.
 */
class Batch {
  readonly records: readonly DynamoDBRecord[];
  readonly status: Uint8Array;
  readonly errors: unknown[];
  readonly #sink: LogSink;
  oldest = Number.POSITIVE_INFINITY;
  constructor(records: readonly DynamoDBRecord[], sink: LogSink) {
    this.records = records;
    this.status = new Uint8Array(records.length);
    this.errors = new Array(records.length);
    this.#sink = sink;
    for (const record of records) {
      const seconds = record?.dynamodb?.ApproximateCreationDateTime;
      if (typeof seconds === 'number' && seconds * 1000 < this.oldest) this.oldest = seconds * 1000;
    }
  }

  /** Decodes record `index`; a poison pill becomes that record's failure. */
  decode(index: number): ChangeEvent | undefined {
    const decoded = tryDecodeRecord(this.records[index]!);
    if (!(decoded instanceof DecodeError)) return decoded;
    this.status[index] = FAILED;
    this.errors[index] = decoded;
    new RecordLogger(this.#sink, {
      sequenceNumber: decoded.sequenceNumber,
      eventID: decoded.eventID,
    }).error('stream record cannot be decoded', { error: decoded });
    return undefined;
  }

  fail(index: number, change: ChangeEvent, error: unknown): void {
    this.status[index] = FAILED;
    this.errors[index] = error;
    recordLogger(this.#sink, change).error('stream record failed', { error });
  }

  skip(index: number, blockedBy: string): void {
    this.status[index] = SKIPPED;
    const record = this.records[index]!;
    new RecordLogger(this.#sink, {
      sequenceNumber: record.dynamodb?.SequenceNumber,
      eventID: record.eventID,
    }).warn('stream record skipped: an earlier record of the same item failed', { blockedBy });
  }

  report(options: ProcessOptions): BatchReport {
    const applied: string[] = [];
    const skipped: string[] = [];
    const failed: FailedRecord[] = [];
    let unidentified = false;
    for (let index = 0; index < this.records.length; index++) {
      const record = this.records[index]!;
      const state = this.status[index];
      if (state === APPLIED) applied.push(record.dynamodb!.SequenceNumber!);
      else if (state === SKIPPED) skipped.push(record.dynamodb!.SequenceNumber!);
      else {
        const sequenceNumber = sequenceNumberOf(record);
        if (sequenceNumber === undefined) unidentified = true;
        failed.push({ sequenceNumber, eventID: record?.eventID, error: this.errors[index] });
      }
    }
    const response = this.#response(failed, unidentified);
    const counts: BatchCounts = {
      recordsIn: this.records.length,
      applied: applied.length,
      skipped: skipped.length,
      failed: failed.length,
      batchAgeMs: Number.isFinite(this.oldest)
        ? Math.max(0, Math.round((options.now ?? Date.now)() - this.oldest))
        : undefined,
    };
    addBatchMetrics(options.metrics, counts);
    return { response, applied, failed, skipped, counts };
  }

  #response(failed: readonly FailedRecord[], unidentified: boolean): DynamoDBBatchResponse {
    if (failed.length === 0) return { batchItemFailures: [] };
    const lowest = lowestSequenceNumber(
      // A failed record we cannot name: checkpointing at the batch's lowest record
      // redelivers it with everything else, which is what failing the batch would do.
      unidentified
        ? this.records.flatMap((record) => sequenceNumberOf(record) ?? [])
        : failed.map((record) => record.sequenceNumber!),
    );
    if (lowest === undefined) {
      // Returning no identifier would mean success; throwing makes Lambda retry the batch.
      throw new UnreportableFailureError('failed records carry no usable sequence number');
    }
    return { batchItemFailures: [{ itemIdentifier: lowest }] };
  }
}

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as { then?: unknown }).then === 'function';

/**
 * Decodes and applies every record of a batch with a per-record handler, then reports as
 * Lambda requires. Records of one item run in stream order; different items run
 * concurrently, at most `concurrency` at a time; a failed or undecodable record stops the
 * later records of its item (see the top of this file for why reporting stays exact).
 *
 * @example
 * export const handler = async (event: DynamoDBStreamEvent) =>
 *   (await runRecords(event, async (change) => sink.apply(change), { logger, metrics })).response;
 */
export const runRecords = async (
  event: DynamoDBStreamEvent,
  handler: RecordHandler,
  options: ProcessRecordsOptions = {},
): Promise<BatchReport> => {
  const sink = options.logger ?? defaultLogger();
  const records = event.Records;
  const batch = new Batch(records, sink);
  // Items with a failed record in this batch, and the sequence number that blocked them.
  const blocked = new Map<string, string>();

  /**
   * Applies record `index` unless its item is blocked; returns the handler's promise, if
   * any. The raw item key is read only when some item is blocked or decoding fails.
   */
  const start = (index: number, knownKey?: string): PromiseLike<unknown> | undefined => {
    const record = records[index]!;
    if (blocked.size > 0) {
      const blocker = blocked.get(knownKey ?? rawItemKey(record) ?? '');
      if (blocker !== undefined) {
        batch.skip(index, blocker);
        return undefined;
      }
    }
    const change = batch.decode(index);
    if (change === undefined) {
      // Without readable keys the record fails on its own; with them it blocks its item.
      const key = knownKey ?? rawItemKey(record);
      if (key !== undefined) blocked.set(key, sequenceNumberOf(record) ?? 'undecodable record');
      return undefined;
    }
    let result: unknown;
    try {
      result = handler(change, new Context(sink, change, records[index]!));
    } catch (error) {
      batch.fail(index, change, error);
      blocked.set(change.itemKey, change.sequenceNumber);
      return undefined;
    }
    if (!isPromise(result)) {
      batch.status[index] = APPLIED;
      return undefined;
    }
    return result.then(
      () => {
        batch.status[index] = APPLIED;
      },
      (error: unknown) => {
        batch.fail(index, change, error);
        blocked.set(change.itemKey, change.sequenceNumber);
      },
    );
  };

  // While the handler answers synchronously, records run in stream order in one pass, with
  // no lanes and no promises. Stream order is per-item order, so isolation holds.
  let first = 0;
  let pending: PromiseLike<unknown> | undefined;
  for (; first < records.length && pending === undefined; first++) {
    pending = start(first);
  }
  if (pending === undefined) return batch.report(options);

  // The handler is asynchronous: group the rest into one lane per item, in stream order;
  // the record in flight heads its item's lane.
  const firstKey = rawItemKey(records[first - 1]!)!;
  const lanes = new Map<string, number[]>([[firstKey, []]]);
  const laneKeys: string[] = [firstKey];
  for (let index = first; index < records.length; index++) {
    const key = rawItemKey(records[index]!);
    if (key === undefined) {
      batch.decode(index);
      continue;
    }
    const lane = lanes.get(key);
    if (lane === undefined) {
      lanes.set(key, [index]);
      laneKeys.push(key);
    } else {
      lane.push(index);
    }
  }

  const runLane = (key: string, position: number): Promise<void> | undefined => {
    const lane = lanes.get(key)!;
    for (; position < lane.length; position++) {
      const running = start(lane[position]!, key);
      if (running !== undefined) {
        const next = position + 1;
        return Promise.resolve(running).then(() => runLane(key, next));
      }
    }
    return undefined;
  };

  let nextLane = 1;
  const worker = (): Promise<void> | undefined => {
    while (nextLane < laneKeys.length) {
      const running = runLane(laneKeys[nextLane++]!, 0);
      if (running !== undefined) return running.then(worker);
    }
    return undefined;
  };
  const workers: Promise<void>[] = [
    Promise.resolve(pending)
      .then(() => runLane(firstKey, 0))
      .then(worker),
  ];
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 16));
  for (let slot = 1; slot < concurrency && nextLane < laneKeys.length; slot++) {
    const running = worker();
    if (running !== undefined) workers.push(running);
  }
  await Promise.all(workers);
  return batch.report(options);
};

/**
 * {@link runRecords}, returning only Lambda's `{ batchItemFailures }`.
 *
 * @example
 * export const handler: DynamoDBStreamHandler = (event) =>
 *   processRecords(event, async (change, ctx) => { await apply(change); }, { logger, metrics });
 */
export const processRecords = async (
  event: DynamoDBStreamEvent,
  handler: RecordHandler,
  options?: ProcessRecordsOptions,
): Promise<DynamoDBBatchResponse> => (await runRecords(event, handler, options)).response;

/**
 * Splits changes (in stream order) into those that may still be applied and those that
 * must not: a failed change, and every later change of an item that has a failed change.
 * A batch handler that writes in several steps calls it between steps, so that a later
 * step never applies a change whose earlier same-item change failed.
 *
 * @example
 * const { apply, blocked } = isolateByItem(changes, failedInStepOne);
 */
export const isolateByItem = (
  changes: readonly ChangeEvent[],
  failedSequenceNumbers: Iterable<string>,
): { apply: ChangeEvent[]; blocked: ChangeEvent[] } => {
  const failed = new Set(failedSequenceNumbers);
  const blockedItems = new Set<string>();
  const apply: ChangeEvent[] = [];
  const blocked: ChangeEvent[] = [];
  for (const change of changes) {
    if (failed.has(change.sequenceNumber)) blockedItems.add(change.itemKey);
    if (blockedItems.has(change.itemKey)) blocked.push(change);
    else apply.push(change);
  }
  return { apply, blocked };
};

const validateResult = (
  result: unknown,
  passed: ReadonlyMap<string, number>,
): readonly HandlerFailure[] => {
  if (result === undefined) return [];
  const failures = (result as { failures?: unknown } | null)?.failures;
  if (!Array.isArray(failures)) {
    throw new InvalidHandlerResultError('expected void or { failures: [...] }');
  }
  for (const failure of failures as HandlerFailure[]) {
    if (typeof failure?.sequenceNumber !== 'string' || !passed.has(failure.sequenceNumber)) {
      throw new InvalidHandlerResultError(
        `failure names ${String(failure?.sequenceNumber)}, which is not a record of the batch`,
      );
    }
  }
  return failures as HandlerFailure[];
};

/**
 * Decodes a batch and hands the decodable changes, in stream order, to one batch handler
 * (a bulk request, a transaction), which maps sink errors back to the sequence numbers
 * they affect. Poison pills never reach the handler; neither does any later record of
 * their item. A handler that throws, or names a record it was not given, fails every
 * record it was given.
 *
 * Per-key isolation in this mode is the handler's contract: it must not apply a change
 * whose earlier same-item change in the batch failed. A handler that coalesces per item
 * (last change wins) and reports the item's earliest change on failure meets it; one that
 * writes in steps uses {@link isolateByItem} between steps. Reporting stays exact even if a
 * handler breaks the contract: such a change comes after its item's failed change, hence
 * after the checkpoint, and is redelivered in order.
 *
 * @example
 * export const handler = (event: DynamoDBStreamEvent) =>
 *   processBatch(event, async (changes) => ({ failures: await bulkIndex(changes) }), { logger });
 */
export const runBatch = async (
  event: DynamoDBStreamEvent,
  handler: BatchHandler,
  options: ProcessOptions = {},
): Promise<BatchReport> => {
  const sink = options.logger ?? defaultLogger();
  const batch = new Batch(event.Records, sink);
  const blockedBy = new Map<string, string>();
  const passed: ChangeEvent[] = [];
  const indexBySequence = new Map<string, number>();
  const changeByIndex = new Map<number, ChangeEvent>();
  for (let index = 0; index < event.Records.length; index++) {
    const record = event.Records[index]!;
    const key = rawItemKey(record);
    const blocker = key === undefined ? undefined : blockedBy.get(key);
    if (blocker !== undefined) {
      batch.skip(index, blocker);
      continue;
    }
    const change = batch.decode(index);
    if (change === undefined) {
      if (key !== undefined) blockedBy.set(key, sequenceNumberOf(record) ?? 'undecodable record');
      continue;
    }
    indexBySequence.set(change.sequenceNumber, index);
    changeByIndex.set(index, change);
    passed.push(change);
  }
  if (passed.length > 0) {
    const logger = new RecordLogger(sink, {
      firstSequenceNumber: passed[0]!.sequenceNumber,
      lastSequenceNumber: passed[passed.length - 1]!.sequenceNumber,
      batchSize: passed.length,
    });
    const ctx: BatchContext = { logger, loggerFor: (change) => recordLogger(sink, change) };
    let failures: readonly HandlerFailure[];
    try {
      failures = validateResult(await handler(passed, ctx), indexBySequence);
    } catch (error) {
      logger.error('batch handler failed: every record it was given fails', { error });
      failures = passed.map((change) => ({ sequenceNumber: change.sequenceNumber, error }));
    }
    for (const failure of failures) {
      const index = indexBySequence.get(failure.sequenceNumber)!;
      if (batch.status[index] !== FAILED)
        batch.fail(index, changeByIndex.get(index)!, failure.error);
    }
    for (const index of indexBySequence.values()) {
      if (batch.status[index] === PENDING) batch.status[index] = APPLIED;
    }
  }
  return batch.report(options);
};

/**
 * {@link runBatch}, returning only Lambda's `{ batchItemFailures }`.
 *
 * @example
 * export const handler: DynamoDBStreamHandler = (event) =>
 *   processBatch(event, (changes) => writeAll(changes), { logger, metrics });
 */
export const processBatch = async (
  event: DynamoDBStreamEvent,
  handler: BatchHandler,
  options?: ProcessOptions,
): Promise<DynamoDBBatchResponse> => (await runBatch(event, handler, options)).response;

/** Orders changes by sequence number, for handlers that merge batches. */
export const byStreamOrder = (a: ChangeEvent, b: ChangeEvent): number =>
  compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber);
