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
 *
 * This file holds the entry points; schedule.ts runs the records (per-item lanes,
 * isolation, concurrency) and report.ts turns what became of them into the report, its
 * logs and metrics, and Lambda's response.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { InvalidHandlerResultError } from './errors.js';
import { changeLogger, defaultLogger, type LogSink, RecordLogger } from './logging.js';
import { type BatchReport, Outcomes, type ReportOptions } from './report.js';
import { ItemGate, runByItem, type Step } from './schedule.js';
import type { ChangeEvent } from './types.js';

export type { BatchReport, FailedRecord } from './report.js';

/** Options shared by {@link processRecords} and {@link processBatch}. */
export interface ProcessOptions extends ReportOptions {
  /** Your function's Powertools `Logger`. @default a Logger with serviceName `stream-processor` */
  readonly logger?: LogSink;
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
    this.#logger ??= changeLogger(this.#sink, this.#change);
    return this.#logger;
  }
}

const isPromise = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as { then?: unknown }).then === 'function';

/** A batch's log sink, the outcomes of its records, and the gate that isolates its items. */
const begin = (records: readonly DynamoDBRecord[], options: ProcessOptions) => {
  const sink = options.logger ?? defaultLogger();
  const outcomes = new Outcomes(records, sink);
  return { sink, outcomes, gate: new ItemGate(records, outcomes) };
};

/** Turns an entry point that returns a {@link BatchReport} into one that returns only the response. */
const responseOf =
  <Handler, Options>(
    run: (event: DynamoDBStreamEvent, handler: Handler, options?: Options) => Promise<BatchReport>,
  ) =>
  async (
    event: DynamoDBStreamEvent,
    handler: Handler,
    options?: Options,
  ): Promise<DynamoDBBatchResponse> =>
    (await run(event, handler, options)).response;

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
  const records = event.Records;
  const { sink, outcomes, gate } = begin(records, options);
  const step: Step = (index, key) => {
    const change = gate.admit(index, key);
    if (change === undefined) return undefined;
    let result: unknown;
    try {
      result = handler(change, new Context(sink, change, records[index]!));
    } catch (error) {
      gate.fail(index, change, error);
      return undefined;
    }
    if (!isPromise(result)) {
      outcomes.applied(index);
      return undefined;
    }
    return result.then(
      () => outcomes.applied(index),
      (error: unknown) => gate.fail(index, change, error),
    );
  };
  const running = runByItem(records, Math.max(1, Math.floor(options.concurrency ?? 16)), step);
  if (running !== undefined) await running;
  return outcomes.report(options);
};

/**
 * {@link runRecords}, returning only Lambda's `{ batchItemFailures }`.
 *
 * @example
 * export const handler: DynamoDBStreamHandler = (event) =>
 *   processRecords(event, async (change, ctx) => { await apply(change); }, { logger, metrics });
 */
export const processRecords = responseOf(runRecords);

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
  // Before the handler runs, only a record that cannot be decoded blocks its item.
  const { sink, outcomes, gate } = begin(event.Records, options);
  const passed: ChangeEvent[] = [];
  const indexBySequence = new Map<string, number>();
  const changeByIndex = new Map<number, ChangeEvent>();
  for (let index = 0; index < event.Records.length; index++) {
    const change = gate.admit(index);
    if (change === undefined) continue;
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
    const ctx: BatchContext = { logger, loggerFor: (change) => changeLogger(sink, change) };
    let failures: readonly HandlerFailure[];
    try {
      failures = validateResult(await handler(passed, ctx), indexBySequence);
    } catch (error) {
      logger.error('batch handler failed: every record it was given fails', { error });
      failures = passed.map((change) => ({ sequenceNumber: change.sequenceNumber, error }));
    }
    for (const failure of failures) {
      const index = indexBySequence.get(failure.sequenceNumber)!;
      if (!outcomes.hasFailed(index)) {
        outcomes.failed(index, changeByIndex.get(index)!, failure.error);
      }
    }
    for (const index of indexBySequence.values()) {
      if (outcomes.isPending(index)) outcomes.applied(index);
    }
  }
  return outcomes.report(options);
};

/**
 * {@link runBatch}, returning only Lambda's `{ batchItemFailures }`.
 *
 * @example
 * export const handler: DynamoDBStreamHandler = (event) =>
 *   processBatch(event, (changes) => writeAll(changes), { logger, metrics });
 */
export const processBatch = responseOf(runBatch);
