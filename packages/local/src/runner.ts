import { join } from 'node:path';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type GetShardIteratorInput,
  LimitExceededException,
  type Shard,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ConsumerDefinition } from '@pipeline/pipeline';
import {
  type ConsumerHandler,
  matchesAnyFilter,
  rawItemKey,
  type StreamHandler,
} from '@pipeline/streams';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import {
  type BatchOutcome,
  interpretResponse,
  retriesExhausted,
  splitByAge,
} from './batch-outcome.js';
import { CheckpointStore } from './checkpoints.js';
import { FailureBucket } from './failure-bucket.js';
import {
  buildOnFailureMessage,
  FileQueue,
  type OnFailureDestination,
  type SkipCondition,
} from './failure-queue.js';
import {
  FreshnessBuckets,
  type FreshnessHistory,
  type FreshnessSummary,
  FreshnessWindow,
  type LagSource,
  recordWriteTime,
} from './freshness.js';
import {
  MAX_PAYLOAD_BYTES,
  payloadBytes,
  type TtlDeletions,
  toLambdaRecord,
} from './lambda-event.js';
import { type SandboxStats, sandboxTimingOf } from './sandbox.js';
import { processShardReaders, type ShardReaders } from './shard-readers.js';

export type { StreamHandler };

/**
 * An event source mapping as the runner runs it: the definition of its function (for a
 * mapping of several consumers, `mappingFunction`'s) and its handler.
 */
export type RunnerConsumer = ConsumerHandler;

/** Options of {@link LocalRunner}. */
export interface LocalRunnerOptions {
  readonly streamArn: string;
  readonly client: DynamoDBStreamsClient;
  readonly consumers: readonly RunnerConsumer[];
  /**
   * Checkpoints go to `<dir>/checkpoints`; a mapping whose `onFailure` is `queue` sends its
   * on-failure messages to `<dir>/dlq/<mapping>`.
   */
  readonly stateDirectory: string;
  /**
   * Pause between reads of a shard that returned nothing.
   * @default 250, Lambda's four polls a second
   */
  readonly pollIntervalMs?: number;
  /** @default 1000 */
  readonly shardDiscoveryIntervalMs?: number;
  /**
   * Pause before retry `attempt` (1-based) of a failed batch.
   * @default 50 ms doubling up to 2 s
   */
  readonly retryDelayMs?: (attempt: number) => number;
  /**
   * Invocation timeout per consumer.
   * @default the definition's timeoutSeconds
   */
  readonly invokeTimeoutMs?: (consumer: ConsumerDefinition) => number;
  /** Shard iterators are renewed after this age; DynamoDB expires them at 15 minutes. @default 14 minutes */
  readonly iteratorMaxAgeMs?: number;
  /** Marks the REMOVE records of a local TTL process's deletions as TTL expiries. */
  readonly ttlDeletions?: TtlDeletions;
  /**
   * The S3 on-failure destination of mappings whose `onFailure` is `bucket`, written as
   * Lambda writes one (see {@link FailureBucket}).
   */
  readonly onFailureBucket?: { readonly s3: S3Client; readonly bucket: string };
  /**
   * Who reads which shard, for DynamoDB Streams' limit of two concurrent readers per shard.
   * @default the process's own, shared by every runner in it
   */
  readonly shardReaders?: ShardReaders;
  /**
   * Pause before reading again after a read was throttled.
   * @default 1000
   */
  readonly throttleDelayMs?: number;
  readonly now?: () => number;
  /**
   * Called once per record whose batch succeeded, with the times of its stages, for the
   * end-to-end benchmark's breakdown. Nothing is recorded when it is not given.
   */
  readonly onRecordStages?: (stages: RecordStages) => void;
  readonly onLog?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The stages of one record through a mapping, as epoch milliseconds of the runner's clock.
 * `handlerStartMs` and `handlerEndMs` come from inside the sandbox when the handler runs in
 * one (its worker thread shares the process's clock), and from around the call otherwise.
 */
export interface RecordStages {
  readonly consumer: string;
  readonly sequenceNumber: string;
  readonly keys: Readonly<Record<string, LambdaAttributeValue>> | undefined;
  /** The item's write time (see {@link recordWriteTime}) and which clock gave it. */
  readonly writtenMs: number;
  readonly lagSource: LagSource;
  /** The GetRecords call that returned it had answered. */
  readonly readMs: number;
  /** Its batch was closed (full, window over, or payload limit) and handed to the invoker. */
  readonly batchClosedMs: number;
  readonly handlerStartMs: number;
  /** The handler returned success for its batch (the sink acknowledged). */
  readonly handlerEndMs: number;
}

/** What the runner reports per consumer. */
export interface ConsumerStats {
  readonly name: string;
  readonly shards: number;
  /** Records read from the stream. */
  readonly recordsIn: number;
  /** Records that did not match the filter criteria, never delivered. */
  readonly filteredOut: number;
  /** Records whose batch succeeded. */
  readonly processed: number;
  readonly invocations: number;
  /** Invocations that failed in whole or in part. */
  readonly failures: number;
  readonly retries: number;
  readonly bisections: number;
  readonly dlqMessages: number;
  readonly dlqRecords: number;
  /** GetRecords calls refused because two other readers held the shard. */
  readonly throttledReads: number;
  /** Messages waiting in the on-failure queue now. */
  readonly dlqDepth: number;
  /**
   * Now minus the write time of the oldest record not yet processed; 0 when caught up.
   * The write time is the item's own `updatedAt` where it has one (see `lagSource`).
   */
  readonly lagMs: number;
  /**
   * Which clock `lagMs` came from: the item's own write timestamp, or the stream record's
   * ApproximateCreationDateTime (DynamoDB Local stamps it to the minute). When caught up, the
   * clock of the last record processed.
   */
  readonly lagSource: LagSource;
  /** Write time → handler returned success, for the records processed over the last 60 s. */
  readonly freshness: FreshnessSummary;
  /**
   * The same freshness, and the records processed per second, in 10 s buckets over the last
   * 5 minutes. Absent from stats not read from a runner (a sum over several runs).
   */
  readonly freshnessHistory?: FreshnessHistory;
  /**
   * The mapping's event counts, as Lambda reports them with `MetricsConfig: EventCount`
   * (PolledEventCount, FilteredOutEventCount, InvokedEventCount, FailedInvokeEventCount,
   * DroppedEventCount, OnFailureDestinationDeliveredEventCount).
   */
  readonly events: EventCounts;
  /** Its sandboxes' cold starts and failures, where it runs from its bundle. */
  readonly sandbox?: SandboxStats;
}

/** A mapping's event counts, named after Lambda's event source mapping metrics. */
export interface EventCounts {
  /** Records read from the stream. */
  readonly polled: number;
  /** Records that matched no filter pattern and were never delivered. */
  readonly filteredOut: number;
  /** Records delivered to the function, each delivery counted, retries included. */
  readonly invoked: number;
  /** Records of invocations that failed, wholly or from the first reported failure on. */
  readonly failedInvoke: number;
  /** Records given up on, for age or for exhausted retries. */
  readonly dropped: number;
  /** Records whose batch's metadata reached the on-failure destination. */
  readonly onFailureDestinationDelivered: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves waiters when something changes; a tiny condition variable. */
class Signal {
  #waiters: (() => void)[] = [];
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        const index = waiters.indexOf(done);
        if (index >= 0) waiters.splice(index, 1);
        resolve();
      }
      waiters.push(done);
    });
  }
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

// A record without string PK/SK is a poison pill its handler reports; any lane will do.
const itemKeyOf = (record: DynamoDBRecord): string => rawItemKey(record) ?? '';

// FNV-1a: a stable lane per item key, so an item's records always share a lane.
const laneOf = (itemKey: string, lanes: number): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < itemKey.length; index++) {
    hash ^= itemKey.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
};

const sequenceOf = (record: DynamoDBRecord): string => record.dynamodb?.SequenceNumber ?? '';

interface Tracked {
  readonly sequenceNumber: string;
  readonly createdMs: number;
  readonly source: LagSource;
  done: boolean;
}

/**
 * Knows which records of a shard are done and advances the checkpoint over the
 * contiguous done prefix, so with several lanes a checkpoint never passes a record
 * that is still in flight.
 */
class SequenceTracker {
  #entries: Tracked[] = [];
  #bySequence = new Map<string, Tracked>();
  #head = 0;

  add(sequenceNumber: string, createdMs: number, source: LagSource): void {
    const entry = { sequenceNumber, createdMs, source, done: false };
    this.#entries.push(entry);
    this.#bySequence.set(sequenceNumber, entry);
  }

  markDone(sequenceNumber: string): void {
    const entry = this.#bySequence.get(sequenceNumber);
    if (entry) entry.done = true;
  }

  /** Returns the new checkpoint if it moved. */
  advance(): string | undefined {
    let moved: string | undefined;
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.done) {
      const entry = this.#entries[this.#head]!;
      this.#bySequence.delete(entry.sequenceNumber);
      moved = entry.sequenceNumber;
      this.#head++;
    }
    if (this.#head > 4096) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    return moved;
  }

  get pending(): number {
    return this.#entries.length - this.#head;
  }

  oldestPending(): Tracked | undefined {
    return this.#entries[this.#head];
  }
}

interface Counters {
  throttledReads: number;
  invokedEvents: number;
  failedInvokeEvents: number;
  recordsIn: number;
  filteredOut: number;
  processed: number;
  invocations: number;
  failures: number;
  retries: number;
  bisections: number;
  dlqMessages: number;
  dlqRecords: number;
}

/** A record waiting in a lane, with the time its GetRecords call answered. */
interface Queued {
  readonly record: DynamoDBRecord;
  readonly at: number;
  readonly bytes: number;
}

interface Segment {
  readonly records: DynamoDBRecord[];
  retries: number;
  invokes: number;
}

/** Runs one consumer over one shard: reading, lanes, batching, retries, checkpoints. */
class ShardWorker {
  readonly #tracker = new SequenceTracker();
  readonly #lanes: {
    queue: Queued[];
    busy: boolean;
  }[];
  readonly #signal = new Signal();
  // Filled only when someone observes stages, so an unobserved runner pays nothing.
  readonly #stamps = new WeakMap<DynamoDBRecord, { readMs: number; batchClosedMs: number }>();
  #ended = false;
  #lastRead: string | undefined;
  caughtUp = false;
  completed = false;

  constructor(
    readonly shard: Shard,
    private readonly consumer: ConsumerRunner,
  ) {
    this.#lanes = Array.from({ length: consumer.definition.parallelizationFactor }, () => ({
      queue: [],
      busy: false,
    }));
  }

  get idle(): boolean {
    return this.caughtUp && this.#tracker.pending === 0 && this.#lanes.every((lane) => !lane.busy);
  }

  oldestPending(): { readonly createdMs: number; readonly source: LagSource } | undefined {
    return this.#tracker.oldestPending();
  }

  async run(): Promise<void> {
    const lanes = this.#lanes.map((_, index) => this.#runLane(index));
    try {
      await this.#read();
    } finally {
      this.consumer.shardReaders.release(
        `${this.consumer.streamArn}/${this.shardId}`,
        this.consumer,
      );
      this.#ended = true;
      this.#signal.notify();
      await Promise.all(lanes);
    }
    if (this.#closedAndDrained && !this.consumer.stopping) {
      this.consumer.checkpoints.set(this.shardId, {
        ...this.consumer.checkpoints.get(this.shardId),
        completed: true,
      });
      this.completed = true;
    }
  }

  get shardId(): string {
    return this.shard.ShardId ?? '';
  }

  #closedAndDrained = false;

  async #iterator(): Promise<string | undefined> {
    const { client, streamArn, definition } = this.consumer;
    const after = this.#lastRead ?? this.consumer.checkpoints.get(this.shardId)?.sequenceNumber;
    const input: GetShardIteratorInput = after
      ? {
          StreamArn: streamArn,
          ShardId: this.shardId,
          ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
          SequenceNumber: after,
        }
      : {
          StreamArn: streamArn,
          ShardId: this.shardId,
          ShardIteratorType: definition.startingPosition,
        };
    return (await client.send(new GetShardIteratorCommand(input))).ShardIterator;
  }

  async #read(): Promise<void> {
    const { client, options, definition } = this.consumer;
    const now = options.now ?? Date.now;
    const maxAge = options.iteratorMaxAgeMs ?? 14 * 60_000;
    let iterator = await this.#iterator();
    let iteratorAt = now();
    const backlogLimit = definition.batchSize * definition.parallelizationFactor * 2;
    while (iterator && !this.consumer.stopping) {
      if (now() - iteratorAt > maxAge) {
        iterator = await this.#iterator();
        iteratorAt = now();
        continue;
      }
      let response: GetRecordsCommandOutput;
      try {
        this.#admitRead();
        response = await client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
        );
      } catch (error) {
        if (error instanceof LimitExceededException) {
          this.consumer.counters.throttledReads++;
          this.consumer.log('GetRecords throttled: two other readers hold the shard', {
            shardId: this.shardId,
          });
          await sleep(options.throttleDelayMs ?? 1000);
          continue;
        }
        if (error instanceof ExpiredIteratorException) {
          iterator = await this.#iterator();
          iteratorAt = now();
          continue;
        }
        if (error instanceof TrimmedDataAccessException) {
          this.consumer.log('records were trimmed before they were read', {
            shardId: this.shardId,
          });
          this.#lastRead = undefined;
          iterator = await this.#iterator();
          iteratorAt = now();
          continue;
        }
        throw error;
      }
      const records = response.Records ?? [];
      if (records.length > 0) await options.ttlDeletions?.settled();
      const readAt = now();
      for (const raw of records) {
        this.#ingest(toLambdaRecord(raw, this.consumer.streamArn, options.ttlDeletions), readAt);
      }
      iterator = response.NextShardIterator;
      this.caughtUp = records.length === 0;
      if (records.length > 0) this.#signal.notify();
      if (!iterator) {
        this.caughtUp = true;
        await this.#drain();
        this.#closedAndDrained = this.#tracker.pending === 0;
        return;
      }
      if (records.length === 0) await sleep(options.pollIntervalMs ?? 250);
      while (!this.consumer.stopping && this.#tracker.pending > backlogLimit)
        await this.#signal.wait(50);
    }
  }

  /** Throws as DynamoDB Streams does when this would be a third concurrent reader of the shard. */
  #admitRead(): void {
    const { shardReaders, streamArn, options } = this.consumer;
    const shard = `${streamArn}/${this.shardId}`;
    if (shardReaders.admit(shard, this.consumer, (options.now ?? Date.now)())) return;
    throw new LimitExceededException({
      message: `Rate exceeded for shard ${this.shardId}: it has ${shardReaders.limit} readers already`,
      $metadata: { httpStatusCode: 400 },
    });
  }

  async #drain(): Promise<void> {
    while (!this.consumer.stopping && this.#tracker.pending > 0) await this.#signal.wait(50);
  }

  #ingest(record: DynamoDBRecord, readAt: number): void {
    const sequenceNumber = sequenceOf(record);
    this.#lastRead = sequenceNumber;
    this.consumer.counters.recordsIn++;
    const written = recordWriteTime(record);
    this.#tracker.add(sequenceNumber, written.writtenMs, written.source);
    const { filters, parallelizationFactor } = this.consumer.definition;
    if (filters.length > 0 && !matchesAnyFilter(filters, record)) {
      // Lambda drops records that match no filter and moves past them.
      this.consumer.counters.filteredOut++;
      this.#done([record]);
      return;
    }
    const lane = this.#lanes[laneOf(itemKeyOf(record), parallelizationFactor)]!;
    if (this.consumer.options.onRecordStages)
      this.#stamps.set(record, { readMs: readAt, batchClosedMs: 0 });
    lane.queue.push({ record, at: readAt, bytes: payloadBytes(record) });
  }

  #done(records: readonly DynamoDBRecord[]): void {
    if (this.consumer.crashed) return;
    for (const record of records) this.#tracker.markDone(sequenceOf(record));
    const checkpoint = this.#tracker.advance();
    if (checkpoint) {
      this.consumer.checkpoints.set(this.shardId, { sequenceNumber: checkpoint });
    }
    this.#signal.notify();
  }

  async #runLane(index: number): Promise<void> {
    const lane = this.#lanes[index]!;
    const { definition, options } = this.consumer;
    const now = options.now ?? Date.now;
    const windowMs = definition.maxBatchingWindowSeconds * 1000;
    while (!this.consumer.stopping) {
      const first = lane.queue[0];
      if (!first) {
        if (this.#ended) return;
        await this.#signal.wait(100);
        continue;
      }
      const waited = now() - first.at;
      if (lane.queue.length < definition.batchSize && waited < windowMs && !this.#ended) {
        await this.#signal.wait(Math.max(1, windowMs - waited));
        continue;
      }
      const batch: DynamoDBRecord[] = [];
      // The event envelope `{"Records":[...]}` adds a few bytes to the records.
      let bytes = 16;
      while (lane.queue.length > 0 && batch.length < definition.batchSize) {
        const next = lane.queue[0]!;
        if (batch.length > 0 && bytes + next.bytes > MAX_PAYLOAD_BYTES) break;
        bytes += next.bytes;
        batch.push(next.record);
        lane.queue.shift();
      }
      if (options.onRecordStages) {
        const closedAt = now();
        for (const record of batch) {
          const stamp = this.#stamps.get(record);
          if (stamp) stamp.batchClosedMs = closedAt;
        }
      }
      lane.busy = true;
      try {
        await this.#deliver(batch);
      } finally {
        lane.busy = false;
      }
    }
  }

  /**
   * Delivers one batch until every record in it is processed or skipped, as Lambda's
   * event source mapping does:
   * - before each attempt, records older than the maximum record age are skipped to the
   *   on-failure queue one by one; the younger ones are still delivered;
   * - a partial failure checkpoints before the lowest failed record and retries from it;
   *   with bisect on, the batch is split at that record, which uses no retry attempt, and a
   *   failure at the first record is retried from there, like any retry;
   * - with bisect on, a batch whose invocation failed is split in two and each half
   *   retried, which uses no retry attempt;
   * - when the retries run out (never, with -1), the failing batch's metadata goes to the
   *   on-failure queue and the shard moves on.
   */
  async #deliver(records: DynamoDBRecord[]): Promise<void> {
    const { definition, counters, options } = this.consumer;
    const now = options.now ?? Date.now;
    const segments: Segment[] = [{ records, retries: 0, invokes: 0 }];
    while (segments.length > 0) {
      if (this.consumer.stopping) return;
      let segment = segments.shift()!;
      const { fresh, expired } = splitByAge(segment.records, now(), definition.maxRecordAgeSeconds);
      for (const run of expired) {
        await this.#skip({ ...segment, records: run }, 'RecordAgeExceeded');
      }
      if (fresh.length === 0) continue;
      if (expired.length > 0) segment = { ...segment, records: fresh };
      segment.invokes++;
      const { outcome, startMs, endMs } = await this.consumer.invoke(segment.records);
      // A crashed process never learns the outcome: no checkpoint, no retry, no DLQ message.
      if (this.consumer.crashed) return;
      if (outcome.kind === 'success') {
        this.#succeeded(segment.records, startMs, endMs);
        continue;
      }
      counters.failures++;
      counters.failedInvokeEvents +=
        segment.records.length - (outcome.kind === 'partial' ? outcome.firstFailedIndex : 0);
      if (outcome.kind === 'partial') {
        // Item failures name the checkpoint; bisect splits there and nowhere else
        // (services-ddb-batchfailurereporting: "bisected at the returned sequence number").
        if (outcome.firstFailedIndex > 0) {
          this.#succeeded(segment.records.slice(0, outcome.firstFailedIndex), startMs, endMs);
          const rest = segment.records.slice(outcome.firstFailedIndex);
          if (definition.bisectBatchOnError) {
            counters.bisections++;
            segments.unshift({ records: rest, retries: segment.retries, invokes: 0 });
            continue;
          }
          // Without bisect, redelivering the rest is a retry of the failed record.
          segment = { records: rest, retries: segment.retries, invokes: segment.invokes };
        }
      } else {
        this.consumer.log('batch failed', { shardId: this.shardId, reason: outcome.reason });
        if (definition.bisectBatchOnError && segment.records.length > 1) {
          counters.bisections++;
          const half = Math.ceil(segment.records.length / 2);
          segments.unshift(
            { records: segment.records.slice(0, half), retries: segment.retries, invokes: 0 },
            { records: segment.records.slice(half), retries: segment.retries, invokes: 0 },
          );
          continue;
        }
      }
      if (retriesExhausted(segment.retries, definition.retryAttempts)) {
        await this.#skip(segment, 'RetryAttemptsExhausted');
        continue;
      }
      segment.retries++;
      counters.retries++;
      await sleep(
        (options.retryDelayMs ?? ((attempt) => Math.min(2000, 50 * 2 ** attempt)))(segment.retries),
      );
      segments.unshift(segment);
    }
  }

  /** Records whose handler returned success: done, with their freshness and stages. */
  #succeeded(records: readonly DynamoDBRecord[], startMs: number, endMs: number): void {
    const { counters, options } = this.consumer;
    counters.processed += records.length;
    const observe = options.onRecordStages;
    for (const record of records) {
      const written = recordWriteTime(record);
      this.consumer.recordFreshness(endMs, written);
      if (!observe) continue;
      const stamp = this.#stamps.get(record);
      observe({
        consumer: this.consumer.definition.name,
        sequenceNumber: sequenceOf(record),
        keys: record.dynamodb?.Keys,
        writtenMs: written.writtenMs,
        lagSource: written.source,
        readMs: stamp?.readMs ?? startMs,
        batchClosedMs: stamp?.batchClosedMs ?? startMs,
        handlerStartMs: startMs,
        handlerEndMs: endMs,
      });
    }
    this.#done(records);
  }

  async #skip(segment: Segment, condition: SkipCondition): Promise<void> {
    const { counters, dlq, definition, streamArn, options } = this.consumer;
    const message = buildOnFailureMessage({
      functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${definition.name}`,
      shardId: this.shardId,
      streamArn,
      records: segment.records,
      condition,
      invokeCount: segment.invokes,
      now: new Date((options.now ?? Date.now)()),
      withPayload: dlq.withPayload,
    });
    // The shard moves on only once the destination has the message: nothing is dropped unseen.
    for (let attempt = 1; ; attempt++) {
      try {
        await dlq.send(message);
        break;
      } catch (error) {
        if (this.consumer.stopping) return;
        this.consumer.log('the on-failure destination refused a message; retrying', {
          shardId: this.shardId,
          error: String(error),
        });
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
    counters.dlqMessages++;
    counters.dlqRecords += segment.records.length;
    this.consumer.log('batch skipped to the on-failure queue', {
      shardId: this.shardId,
      condition,
      records: segment.records.length,
    });
    this.#done(segment.records);
  }
}

/** One consumer's event source mapping: its shards, checkpoints and on-failure queue. */
class ConsumerRunner {
  readonly counters: Counters = {
    throttledReads: 0,
    invokedEvents: 0,
    failedInvokeEvents: 0,
    recordsIn: 0,
    filteredOut: 0,
    processed: 0,
    invocations: 0,
    failures: 0,
    retries: 0,
    bisections: 0,
    dlqMessages: 0,
    dlqRecords: 0,
  };
  readonly checkpoints: CheckpointStore;
  readonly dlq: OnFailureDestination;
  readonly workers = new Map<string, { worker: ShardWorker; done: Promise<void> }>();
  stopping = false;
  /** Set by {@link LocalRunner.crash}: whatever is in flight is lost, as in a killed process. */
  crashed = false;

  constructor(
    readonly consumer: RunnerConsumer,
    readonly options: LocalRunnerOptions,
  ) {
    this.checkpoints = new CheckpointStore(
      join(options.stateDirectory, 'checkpoints', `${consumer.definition.name}.json`),
      options.streamArn,
    );
    const bucket = options.onFailureBucket;
    if (consumer.definition.onFailure === 'bucket' && !bucket) {
      throw new Error(
        `${consumer.definition.name} sends failures to a bucket, but the runner was given no onFailureBucket`,
      );
    }
    this.dlq =
      consumer.definition.onFailure === 'bucket' && bucket
        ? new FailureBucket({ ...bucket, mappingId: consumer.definition.name })
        : new FileQueue(join(options.stateDirectory, 'dlq', consumer.definition.name));
  }

  get definition(): ConsumerDefinition {
    return this.consumer.definition;
  }
  get client(): DynamoDBStreamsClient {
    return this.options.client;
  }
  get streamArn(): string {
    return this.options.streamArn;
  }
  get shardReaders(): ShardReaders {
    return this.options.shardReaders ?? processShardReaders;
  }

  log(message: string, details: Record<string, unknown>): void {
    this.options.onLog?.(message, { consumer: this.definition.name, ...details });
  }

  /** Starts workers for shards whose parent is done, so a parent is processed before its children. */
  schedule(shards: readonly Shard[]): void {
    const known = new Set(shards.map((shard) => shard.ShardId));
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (!shardId || this.workers.has(shardId)) continue;
      if (this.checkpoints.get(shardId)?.completed) continue;
      const parent = shard.ParentShardId;
      const parentPending =
        parent !== undefined &&
        known.has(parent) &&
        !this.checkpoints.get(parent)?.completed &&
        !this.workers.get(parent)?.worker.completed;
      if (parentPending) continue;
      const worker = new ShardWorker(shard, this);
      const done = worker.run().catch((error: unknown) => {
        this.log('shard worker stopped on an error; it restarts at the next discovery', {
          shardId,
          error: String(error),
        });
        this.workers.delete(shardId);
      });
      this.workers.set(shardId, { worker, done });
    }
  }

  readonly #freshness = new FreshnessWindow(60);
  readonly #freshnessBuckets = new FreshnessBuckets({ bucketSeconds: 10, buckets: 30 });
  #lastLagSource: LagSource = 'stream-record';

  recordFreshness(finishedMs: number, written: { writtenMs: number; source: LagSource }): void {
    this.#freshness.add(finishedMs, finishedMs - written.writtenMs);
    this.#freshnessBuckets.add(finishedMs, finishedMs - written.writtenMs);
    this.#lastLagSource = written.source;
  }

  /**
   * Invokes the handler once. `startMs` and `endMs` are the handler's own, measured inside
   * its sandbox when it runs in one, else around the call.
   */
  async invoke(
    records: DynamoDBRecord[],
  ): Promise<{ outcome: BatchOutcome; startMs: number; endMs: number }> {
    this.counters.invocations++;
    this.counters.invokedEvents += records.length;
    const now = this.options.now ?? Date.now;
    const timeoutMs =
      this.options.invokeTimeoutMs?.(this.definition) ?? this.definition.timeoutSeconds * 1000;
    const event = { Records: records };
    let timer: NodeJS.Timeout | undefined;
    const calledMs = now();
    let outcome: BatchOutcome;
    try {
      const response = await Promise.race([
        this.consumer.handler(event),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      outcome = interpretResponse(records, response);
    } catch (error) {
      outcome = { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    const returnedMs = now();
    const inSandbox = sandboxTimingOf(event);
    return {
      outcome,
      startMs: inSandbox?.startMs ?? calledMs,
      endMs: inSandbox?.endMs ?? returnedMs,
    };
  }

  stats(now: number): ConsumerStats {
    let oldest: { readonly createdMs: number; readonly source: LagSource } | undefined;
    for (const { worker } of this.workers.values()) {
      const pending = worker.oldestPending();
      if (pending && (oldest === undefined || pending.createdMs < oldest.createdMs))
        oldest = pending;
    }
    const { invokedEvents, failedInvokeEvents, ...counters } = this.counters;
    return {
      name: this.definition.name,
      shards: this.workers.size,
      ...counters,
      dlqDepth: this.dlq.depth(),
      lagMs: oldest === undefined ? 0 : Math.max(0, now - oldest.createdMs),
      lagSource: oldest?.source ?? this.#lastLagSource,
      freshness: this.#freshness.summary(now),
      freshnessHistory: this.#freshnessBuckets.history(now),
      events: {
        polled: counters.recordsIn,
        filteredOut: counters.filteredOut,
        invoked: invokedEvents,
        failedInvoke: failedInvokeEvents,
        dropped: counters.dlqRecords,
        onFailureDestinationDelivered: counters.dlqRecords,
      },
    };
  }

  get idle(): boolean {
    return [...this.workers.values()].every(({ worker }) => worker.idle || worker.completed);
  }
}

/**
 * The local event source mapping: polls a DynamoDB Local stream and invokes each
 * consumer's handler in-process with events of exactly the shape Lambda delivers,
 * honouring the consumer's definition. See docs/local-runner.md for what it mirrors.
 *
 * @example
 * const runner = new LocalRunner({ streamArn, client, consumers, stateDirectory: '.local/runner' });
 * runner.start();
 * await runner.waitForIdle();
 * await runner.stop();
 */
export class LocalRunner {
  readonly #consumers: ConsumerRunner[];
  readonly #options: LocalRunnerOptions;
  #discovery: Promise<void> | undefined;
  #stopping = false;
  #discoveries = 0;
  readonly #wake = new Signal();

  constructor(options: LocalRunnerOptions) {
    this.#options = options;
    this.#consumers = options.consumers.map((consumer) => new ConsumerRunner(consumer, options));
  }

  /** Starts discovering shards and consuming them. */
  start(): void {
    if (this.#discovery) return;
    this.#discovery = this.#discover();
  }

  async #describeShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.#options.client.send(
        new DescribeStreamCommand({
          StreamArn: this.#options.streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  async #discover(): Promise<void> {
    while (!this.#stopping) {
      try {
        const shards = await this.#describeShards();
        for (const consumer of this.#consumers) consumer.schedule(shards);
        this.#discoveries++;
      } catch (error) {
        this.#options.onLog?.('shard discovery failed; retrying', { error: String(error) });
      }
      await this.#wake.wait(this.#options.shardDiscoveryIntervalMs ?? 1000);
    }
  }

  /** Per-consumer lag, throughput, failures and DLQ depth. */
  stats(): ConsumerStats[] {
    const now = (this.#options.now ?? Date.now)();
    return this.#consumers.map((consumer) => consumer.stats(now));
  }

  /**
   * Resolves once every consumer has read to the end of every shard and processed or
   * skipped everything it read, as seen after this call.
   */
  async waitForIdle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const startDiscoveries = this.#discoveries;
    let idleChecks = 0;
    while (Date.now() < deadline) {
      const idle =
        this.#discoveries > startDiscoveries && this.#consumers.every((consumer) => consumer.idle);
      idleChecks = idle ? idleChecks + 1 : 0;
      // Two idle observations a poll apart: the readers polled again after we started waiting.
      if (idleChecks >= 2) return;
      await sleep(this.#options.pollIntervalMs ?? 250);
    }
    throw new Error(
      `the local runner was not idle within ${timeoutMs} ms: ${JSON.stringify(this.stats())}`,
    );
  }

  /** Stops polling, lets in-flight invocations finish, and keeps the checkpoints on disk. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const consumer of this.#consumers) consumer.stopping = true;
    await this.#settle();
  }

  /**
   * Simulates a killed process, for fault-injection runs: from this call on nothing is
   * checkpointed, retried or sent to the on-failure queue, so batches whose handler already
   * wrote to its sink are delivered again by a runner started on the same state directory.
   * Takes effect synchronously; the promise resolves once in-flight handlers have returned.
   */
  crash(): Promise<void> {
    for (const consumer of this.#consumers) consumer.crashed = true;
    return this.stop();
  }

  async #settle(): Promise<void> {
    this.#wake.notify();
    await this.#discovery;
    await Promise.all(
      this.#consumers.flatMap((consumer) => [...consumer.workers.values()].map(({ done }) => done)),
    );
  }
}
