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
import { compareSequenceNumbers, lowestSequenceNumber } from './sequence.js';
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

/** State of one batch while it is processed: one slot per record, in delivery order. */
class Batch {
  readonly records: readonly DynamoDBRecord[];
  readonly status: Uint8Array;
  readonly changes: (ChangeEvent | undefined)[];
  readonly errors: unknown[];
  oldest = Number.POSITIVE_INFINITY;
  constructor(records: readonly DynamoDBRecord[]) {
    this.records = records;
    this.status = new Uint8Array(records.length);
    this.changes = new Array(records.length);
    this.errors = new Array(records.length);
  }

  /** Decodes record `index`; a poison pill becomes that record's failure. */
  decode(index: number, sink: LogSink): ChangeEvent | undefined {
    const decoded = tryDecodeRecord(this.records[index]!);
    if (decoded instanceof DecodeError) {
      this.status[index] = FAILED;
      this.errors[index] = decoded;
      new RecordLogger(sink, {
        sequenceNumber: decoded.sequenceNumber,
        eventID: decoded.eventID,
      }).error('stream record cannot be decoded', { error: decoded });
      return undefined;
    }
    this.changes[index] = decoded;
    if (decoded.approximateCreationTime < this.oldest)
      this.oldest = decoded.approximateCreationTime;
    return decoded;
  }

  fail(index: number, error: unknown, sink: LogSink): void {
    this.status[index] = FAILED;
    this.errors[index] = error;
    recordLogger(sink, this.changes[index]!).error('stream record failed', { error });
  }

  skip(index: number, sink: LogSink, blockedBy: string | undefined): void {
    this.status[index] = SKIPPED;
    recordLogger(sink, this.changes[index]!).warn(
      'stream record skipped: an earlier record of the same item failed',
      { blockedBy },
    );
  }

  report(options: ProcessOptions): BatchReport {
    const applied: string[] = [];
    const skipped: string[] = [];
    const failed: FailedRecord[] = [];
    let unidentified = false;
    for (let index = 0; index < this.records.length; index++) {
      const state = this.status[index];
      const change = this.changes[index];
      if (state === APPLIED) applied.push(change!.sequenceNumber);
      else if (state === SKIPPED) skipped.push(change!.sequenceNumber);
      else {
        const error = this.errors[index];
        const sequenceNumber =
          change?.sequenceNumber ??
          (error instanceof DecodeError && error.reason !== 'missingSequenceNumber'
            ? error.sequenceNumber
            : undefined);
        if (sequenceNumber === undefined) unidentified = true;
        const eventID =
          change?.eventID ?? (error instanceof DecodeError ? error.eventID : undefined);
        failed.push({ sequenceNumber, eventID, error });
      }
    }
    const response = this.#response(failed, unidentified);
    const counts: BatchCounts = {
      recordsIn: this.records.length,
      applied: applied.length,
      skipped: skipped.length,
      failed: failed.length,
      batchAgeMs: Number.isFinite(this.oldest)
        ? Math.max(0, (options.now ?? Date.now)() - this.oldest)
        : undefined,
    };
    addBatchMetrics(options.metrics, counts);
    return { response, applied, failed, skipped, counts };
  }

  #response(failed: readonly FailedRecord[], unidentified: boolean): DynamoDBBatchResponse {
    if (failed.length === 0) return { batchItemFailures: [] };
    let lowest = lowestSequenceNumber(
      failed.flatMap((record) =>
        record.sequenceNumber === undefined ? [] : [record.sequenceNumber],
      ),
    );
    if (unidentified) {
      // A failed record we cannot name: checkpointing at the batch's lowest record
      // redelivers it with everything else, which is what failing the batch would do.
      lowest = lowestSequenceNumber(
        this.records.flatMap((record) => {
          const sequenceNumber = record.dynamodb?.SequenceNumber;
          return typeof sequenceNumber === 'string' && /^\d+$/.test(sequenceNumber)
            ? [sequenceNumber]
            : [];
        }),
      );
    }
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
  const batch = new Batch(event.Records);
  const count = event.Records.length;
  const lanes = new Map<string, number[]>();
  const laneList: number[][] = [];
  for (let index = 0; index < count; index++) {
    const change = batch.decode(index, sink);
    // A poison pill whose keys are readable still blocks its item's later records.
    const key = change?.itemKey ?? rawItemKey(event.Records[index]!);
    if (key === undefined) continue;
    let lane = lanes.get(key);
    if (lane === undefined) {
      lane = [];
      lanes.set(key, lane);
      laneList.push(lane);
    }
    lane.push(index);
  }

  // Runs a lane synchronously for as long as the handler answers synchronously, so that
  // synchronous work pays for no promise; returns a promise only when it has to wait.
  const runLane = (
    lane: number[],
    from: number,
    blockedBy: string | undefined,
  ): Promise<void> | undefined => {
    let blocker = blockedBy;
    for (let position = from; position < lane.length; position++) {
      const index = lane[position]!;
      if (batch.status[index] === FAILED) {
        blocker ??= (batch.errors[index] as DecodeError).sequenceNumber ?? 'undecodable record';
        continue;
      }
      if (blocker !== undefined) {
        batch.skip(index, sink, blocker);
        continue;
      }
      const change = batch.changes[index]!;
      let result: unknown;
      try {
        result = handler(change, new Context(sink, change, event.Records[index]!));
      } catch (error) {
        batch.fail(index, error, sink);
        blocker = change.sequenceNumber;
        continue;
      }
      if (isPromise(result)) {
        return Promise.resolve(result).then(
          () => {
            batch.status[index] = APPLIED;
            return runLane(lane, position + 1, undefined);
          },
          (error: unknown) => {
            batch.fail(index, error, sink);
            return runLane(lane, position + 1, change.sequenceNumber);
          },
        );
      }
      batch.status[index] = APPLIED;
    }
    return undefined;
  };

  let next = 0;
  const worker = (): Promise<void> | undefined => {
    while (next < laneList.length) {
      const pending = runLane(laneList[next++]!, 0, undefined);
      if (pending !== undefined) return pending.then(worker);
    }
    return undefined;
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 16));
  const workers: Promise<void>[] = [];
  for (let slot = 0; slot < concurrency && next < laneList.length; slot++) {
    const pending = worker();
    if (pending !== undefined) workers.push(pending);
  }
  if (workers.length > 0) await Promise.all(workers);
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
  const batch = new Batch(event.Records);
  const blockedBy = new Map<string, string>();
  const passed: ChangeEvent[] = [];
  const indexBySequence = new Map<string, number>();
  for (let index = 0; index < event.Records.length; index++) {
    const change = batch.decode(index, sink);
    if (change === undefined) {
      const key = rawItemKey(event.Records[index]!);
      const error = batch.errors[index] as DecodeError;
      if (key !== undefined && !blockedBy.has(key)) {
        blockedBy.set(key, error.sequenceNumber ?? 'undecodable record');
      }
      continue;
    }
    const blocker = blockedBy.get(change.itemKey);
    if (blocker !== undefined) {
      batch.skip(index, sink, blocker);
      continue;
    }
    passed.push(change);
    indexBySequence.set(change.sequenceNumber, index);
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
      if (batch.status[index] !== FAILED) batch.fail(index, failure.error, sink);
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
