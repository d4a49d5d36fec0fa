/**
 * Reporting: what became of each record of a batch, the log line of every record that was
 * not applied, the batch's metrics, and the response Lambda checkpoints on: the lowest
 * failed sequence number (see the top of process.ts for Lambda's rule and why that is
 * exact under per-item isolation).
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { type DecodeError, UnreportableFailureError } from './errors.js';
import { changeLogger, type LogSink, RecordLogger } from './logging.js';
import { addBatchMetrics, type BatchCounts, type MetricsSink } from './metrics.js';
import { isSequenceNumber, lowestSequenceNumber } from './sequence.js';
import type { ChangeEvent } from './types.js';

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

/** Where a batch's figures go, and its clock. */
export interface ReportOptions {
  /** Your function's Powertools `Metrics`; the processor adds, you publish. @default none */
  readonly metrics?: MetricsSink;
  /** Clock for `BatchAgeMs`, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

// What became of a record. A record still PENDING when the batch is reported failed.
const PENDING = 0;
const APPLIED = 1;
const FAILED = 2;
const SKIPPED = 3;

/** A record's sequence number, when it has a usable one. */
export const sequenceNumberOf = (record: DynamoDBRecord): string | undefined => {
  const sequenceNumber = record?.dynamodb?.SequenceNumber;
  return isSequenceNumber(sequenceNumber) ? sequenceNumber : undefined;
};

/**
 * Lambda's response for a batch's failed records: the lowest failed sequence number, or an
 * empty list when none failed. A failed record with no usable sequence number checkpoints
 * at the batch's lowest record instead, which redelivers it with everything else, as
 * failing the whole batch would. Throws when there is no sequence number to report at all:
 * returning no identifier would mean success, while throwing makes Lambda retry the batch.
 */
export const batchResponse = (
  records: readonly DynamoDBRecord[],
  failed: readonly FailedRecord[],
): DynamoDBBatchResponse => {
  if (failed.length === 0) return { batchItemFailures: [] };
  const unidentified = failed.some((record) => record.sequenceNumber === undefined);
  const lowest = lowestSequenceNumber(
    unidentified
      ? records.flatMap((record) => sequenceNumberOf(record) ?? [])
      : failed.map((record) => record.sequenceNumber!),
  );
  if (lowest === undefined) {
    throw new UnreportableFailureError('failed records carry no usable sequence number');
  }
  return { batchItemFailures: [{ itemIdentifier: lowest }] };
};

/**
 * What became of each record of one batch: one slot per record, in delivery order. It
 * keeps states, not decoded changes: a change is decoded right before its handler runs
 * and dropped after, so its images die young instead of surviving the whole batch and
 * costing the garbage collector more than the decoding itself.
 */
export class Outcomes {
  readonly #records: readonly DynamoDBRecord[];
  readonly #states: Uint8Array;
  readonly #errors: unknown[];
  readonly #sink: LogSink;
  readonly #oldest: number;
  constructor(records: readonly DynamoDBRecord[], sink: LogSink) {
    this.#records = records;
    this.#states = new Uint8Array(records.length);
    this.#errors = new Array(records.length);
    this.#sink = sink;
    let oldest = Number.POSITIVE_INFINITY;
    for (const record of records) {
      const seconds = record?.dynamodb?.ApproximateCreationDateTime;
      if (typeof seconds === 'number' && seconds * 1000 < oldest) oldest = seconds * 1000;
    }
    this.#oldest = oldest;
  }

  /** Whether record `index` has not been settled yet. */
  isPending(index: number): boolean {
    return this.#states[index] === PENDING;
  }

  /** Whether record `index` has failed. */
  hasFailed(index: number): boolean {
    return this.#states[index] === FAILED;
  }

  applied(index: number): void {
    this.#states[index] = APPLIED;
  }

  /** Record `index` decoded to `change`, which its handler failed to apply. */
  failed(index: number, change: ChangeEvent, error: unknown): void {
    this.#states[index] = FAILED;
    this.#errors[index] = error;
    changeLogger(this.#sink, change).error('stream record failed', { error });
  }

  /** Record `index` cannot be decoded: a poison pill. */
  undecodable(index: number, error: DecodeError): void {
    this.#states[index] = FAILED;
    this.#errors[index] = error;
    new RecordLogger(this.#sink, {
      sequenceNumber: error.sequenceNumber,
      eventID: error.eventID,
    }).error('stream record cannot be decoded', { error });
  }

  /** Record `index` was not run: the record `blockedBy` of its item failed before it. */
  skipped(index: number, blockedBy: string): void {
    this.#states[index] = SKIPPED;
    const record = this.#records[index]!;
    new RecordLogger(this.#sink, {
      sequenceNumber: record.dynamodb?.SequenceNumber,
      eventID: record.eventID,
    }).warn('stream record skipped: an earlier record of the same item failed', { blockedBy });
  }

  /** The batch's report and Lambda response; adds the batch's metrics. */
  report(options: ReportOptions): BatchReport {
    const applied: string[] = [];
    const skipped: string[] = [];
    const failed: FailedRecord[] = [];
    for (let index = 0; index < this.#records.length; index++) {
      const record = this.#records[index]!;
      const state = this.#states[index];
      if (state === APPLIED) applied.push(record.dynamodb!.SequenceNumber!);
      else if (state === SKIPPED) skipped.push(record.dynamodb!.SequenceNumber!);
      else {
        const sequenceNumber = sequenceNumberOf(record);
        failed.push({ sequenceNumber, eventID: record?.eventID, error: this.#errors[index] });
      }
    }
    const response = batchResponse(this.#records, failed);
    const counts: BatchCounts = {
      recordsIn: this.#records.length,
      applied: applied.length,
      skipped: skipped.length,
      failed: failed.length,
      batchAgeMs: Number.isFinite(this.#oldest)
        ? Math.max(0, Math.round((options.now ?? Date.now)() - this.#oldest))
        : undefined,
    };
    addBatchMetrics(options.metrics, counts);
    return { response, applied, failed, skipped, counts };
  }
}
