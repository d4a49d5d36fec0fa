import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
} from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { consumerNamed } from '@pipeline/consumers';
import { mainTable } from '@pipeline/model';
import { type ConsumerDefinition, validateConsumer } from '@pipeline/pipeline';
import {
  createMainTable,
  createTestTable,
  localStreamsClient,
  type TestTable,
} from '@pipeline/testing';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startArchiveServer } from '../src/archive-server.js';
import { localAwsClientConfig } from '../src/dynamodb-local.js';
import { FailureBucket } from '../src/failure-bucket.js';
import { FileQueue } from '../src/failure-queue.js';
import { replayFailedBatch } from '../src/replay.js';
import { LocalRunner, type LocalRunnerOptions, type StreamHandler } from '../src/runner.js';
import { ShardReaders } from '../src/shard-readers.js';
import { LocalTtlProcess } from '../src/ttl-process.js';

let table: TestTable;
let streams: DynamoDBStreamsClient;
const runners: LocalRunner[] = [];

beforeAll(async () => {
  table = await createMainTable();
  streams = localStreamsClient();
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.stop()));
});

const testConsumer = (overrides: Partial<ConsumerDefinition>): ConsumerDefinition =>
  validateConsumer({
    ...consumerNamed('update-aggregates'),
    name: 'test-consumer',
    filters: [],
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    parallelizationFactor: 1,
    retryAttempts: 2,
    bisectBatchOnError: false,
    ...overrides,
  });

/**
 * Starts a runner of `consumers` on the table's stream, polling every 50 ms with a state
 * directory of its own unless told otherwise; the runners stop after each test.
 */
const launchRunner = (
  options: Pick<LocalRunnerOptions, 'consumers'> & Partial<LocalRunnerOptions>,
): LocalRunner => {
  const runner = new LocalRunner({
    streamArn: table.streamArn!,
    client: streams,
    stateDirectory: mkdtempSync(join(tmpdir(), 'runner-')),
    pollIntervalMs: 50,
    ...options,
  });
  runners.push(runner);
  runner.start();
  return runner;
};

/** The TTL archive consumer, delivering each batch without a batching window. */
const archiveExpired = { ...consumerNamed('archive-expired'), maxBatchingWindowSeconds: 0 };

/** Starts a runner of one consumer that retries at once; returns it with its state directory and DLQ. */
const startRunner = (
  definition: ConsumerDefinition,
  handler: StreamHandler,
  stateDirectory = mkdtempSync(join(tmpdir(), 'runner-')),
  extra: {
    now?: () => number;
    client?: DynamoDBStreamsClient;
    shardReaders?: ShardReaders;
    onFailureBucket?: { s3: S3Client; bucket: string };
  } = {},
) => {
  const runner = launchRunner({
    client: extra.client ?? streams,
    consumers: [{ definition, handler }],
    stateDirectory,
    retryDelayMs: () => 1,
    ...(extra.now ? { now: extra.now } : {}),
    ...(extra.shardReaders ? { shardReaders: extra.shardReaders, throttleDelayMs: 50 } : {}),
    ...(extra.onFailureBucket ? { onFailureBucket: extra.onFailureBucket } : {}),
  });
  return {
    runner,
    stateDirectory,
    dlq: new FileQueue(join(stateDirectory, 'dlq', definition.name)),
  };
};

/** Writes items under a test-specific partition so tests sharing the table stay apart. */
const put = (item: Record<string, unknown>) =>
  table.client.send(new PutItemCommand({ TableName: table.tableName, Item: marshall(item) }));

const numberOf = (record: DynamoDBRecord): number => Number(record.dynamodb?.NewImage?.n?.N ?? -1);
const pkOf = (record: DynamoDBRecord): string => record.dynamodb?.Keys?.PK?.S ?? '';

/** Only the records under `prefix`, so tests sharing the table's stream stay apart. */
const onlyPrefix = (prefix: string): Partial<ConsumerDefinition> => ({
  filters: [{ dynamodb: { Keys: { PK: { S: [{ prefix }] } } } }],
});

/**
 * The real stream, with the records `aged` picks stamped `ageMs` in the past: DynamoDB Local
 * stamps every record with the time of its write, so an old record beside fresh ones in one
 * batch cannot be produced on demand otherwise.
 */
const agingStreams = (aged: (pk: string) => boolean, ageMs: number): DynamoDBStreamsClient => {
  const send = async (command: Parameters<DynamoDBStreamsClient['send']>[0]) => {
    const output = await streams.send(command);
    if (command instanceof GetRecordsCommand) {
      for (const record of (output as GetRecordsCommandOutput).Records ?? []) {
        if (record.dynamodb && aged(record.dynamodb.Keys?.PK?.S ?? '')) {
          record.dynamodb.ApproximateCreationDateTime = new Date(Date.now() - ageMs);
        }
      }
    }
    return output;
  };
  return { send } as unknown as DynamoDBStreamsClient;
};

const HOUR_MS = 3600_000;

const waitFor = async (condition: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** A handler that records every delivery, optionally failing some of them. */
const recorder = (decide?: (event: DynamoDBStreamEvent, call: number) => unknown) => {
  const deliveries: DynamoDBRecord[][] = [];
  const handler: StreamHandler = async (event) => {
    deliveries.push(event.Records);
    return decide?.(event, deliveries.length);
  };
  return { deliveries, handler, all: () => deliveries.flat() };
};

describe('LocalRunner against DynamoDB Local', () => {
  it('delivers every change in order per item, in the shape Lambda delivers, with parallel lanes', async () => {
    // Prepare
    const prefix = `ORDER-${Date.now()}`;
    const items = ['a', 'b', 'c', 'd'];
    const { handler, all } = recorder();
    const { runner } = startRunner(
      testConsumer({ parallelizationFactor: 3, batchSize: 3 }),
      handler,
    );
    // Act
    for (let n = 1; n <= 5; n++) {
      await Promise.all(items.map((id) => put({ PK: `${prefix}#${id}`, SK: 'X', n })));
    }
    await runner.waitForIdle();
    // Assess
    const mine = all().filter((record) => pkOf(record).startsWith(prefix));
    expect(mine).toHaveLength(20);
    for (const id of items) {
      expect(mine.filter((record) => pkOf(record) === `${prefix}#${id}`).map(numberOf)).toEqual([
        1, 2, 3, 4, 5,
      ]);
    }
    const first = mine[0]!;
    expect(first.eventSource).toBe('aws:dynamodb');
    expect(first.eventSourceARN).toBe(table.streamArn);
    expect(typeof first.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(first.dynamodb?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    expect(runner.stats()[0]).toMatchObject({ failures: 0, dlqRecords: 0, lagMs: 0 });
  });

  it('redelivers from the lowest failed record, never the records before it', async () => {
    const prefix = `RETRY-${Date.now()}`;
    let failedOnce = false;
    const { deliveries, handler } = recorder((event) => {
      const mine = event.Records.filter((record) => pkOf(record).startsWith(prefix));
      const third = mine.find((record) => numberOf(record) === 3);
      if (third && !failedOnce) {
        failedOnce = true;
        const fifth = mine.find((record) => numberOf(record) === 5);
        return {
          batchItemFailures: [
            ...(fifth ? [{ itemIdentifier: fifth.dynamodb!.SequenceNumber! }] : []),
            { itemIdentifier: third.dynamodb!.SequenceNumber! },
          ],
        };
      }
    });
    for (let n = 1; n <= 6; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    const { runner } = startRunner(testConsumer({ batchSize: 100 }), handler);
    await runner.waitForIdle();

    const numbers = deliveries.map((batch) =>
      batch.filter((record) => pkOf(record).startsWith(prefix)).map(numberOf),
    );
    const nonEmpty = numbers.filter((batch) => batch.length > 0);
    expect(nonEmpty).toEqual([
      [1, 2, 3, 4, 5, 6],
      [3, 4, 5, 6],
    ]);
    expect(runner.stats()[0]).toMatchObject({ retries: 1, dlqRecords: 0 });
  });

  it('bisects around a poison record, sends only it to the DLQ, and moves the shard on', async () => {
    const prefix = `BISECT-${Date.now()}`;
    const { handler, all } = recorder((event) => {
      if (event.Records.some((record) => record.dynamodb?.NewImage?.poison))
        throw new Error('poison');
    });
    for (let n = 1; n <= 8; n++)
      await put({ PK: `${prefix}#${n}`, SK: 'X', n, ...(n === 5 ? { poison: true } : {}) });
    const { runner, dlq } = startRunner(
      testConsumer({ batchSize: 100, bisectBatchOnError: true, retryAttempts: 1 }),
      handler,
    );
    await runner.waitForIdle();

    const messages = dlq.receive();
    expect(messages).toHaveLength(1);
    const info = messages[0]!.body.DDBStreamBatchInfo;
    const poison = all().find(
      (record) => numberOf(record) === 5 && pkOf(record).startsWith(prefix),
    )!;
    expect(info).toMatchObject({
      batchSize: 1,
      startSequenceNumber: poison.dynamodb!.SequenceNumber,
      endSequenceNumber: poison.dynamodb!.SequenceNumber,
      streamArn: table.streamArn,
    });
    expect(messages[0]!.body.requestContext.condition).toBe('RetryAttemptsExhausted');
    const stats = runner.stats()[0]!;
    expect(stats.bisections).toBeGreaterThan(0);
    // Each half is invoked without using a retry; only the lone poison record uses them.
    expect(stats.retries).toBe(1);
    expect(stats.dlqRecords).toBe(1);
    expect(stats.processed).toBe(stats.recordsIn - 1);
  });

  it('skips a batch to the DLQ after its retries run out, and replay re-delivers it from the stream', async () => {
    const prefix = `DLQ-${Date.now()}`;
    let healthy = false;
    const { deliveries, handler } = recorder((event) => {
      if (!healthy && event.Records.some((record) => pkOf(record).startsWith(prefix))) {
        throw new Error('sink down');
      }
    });
    for (let n = 1; n <= 3; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    const definition = testConsumer({ batchSize: 100, retryAttempts: 2 });
    const { runner, dlq } = startRunner(definition, handler);
    await runner.waitForIdle();

    const failedDeliveries = deliveries.filter((batch) =>
      batch.some((record) => pkOf(record).startsWith(prefix)),
    );
    expect(failedDeliveries).toHaveLength(3);
    const [message] = dlq.receive();
    expect(message!.body.DDBStreamBatchInfo.batchSize).toBe(failedDeliveries[0]!.length);

    healthy = true;
    const result = await replayFailedBatch(streams, message!.body, { definition, handler });
    expect(result.failedAt).toBeUndefined();
    const replayed = deliveries
      .at(-1)!
      .filter((record) => pkOf(record).startsWith(prefix))
      .map(numberOf);
    expect(replayed).toEqual([1, 2, 3]);
  });

  // services-dynamodb-errors: "For Amazon S3 destinations, Lambda also sends the entire
  // invocation record along with the metadata", under
  // aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>.
  it('writes a skipped batch with its whole payload to an S3 destination, and replays it without the stream', async () => {
    // Prepare
    const prefix = `BUCKET-${Date.now()}`;
    const server = await startArchiveServer({ buckets: ['failures'] });
    const s3 = new S3Client({ ...localAwsClientConfig(server.endpoint), forcePathStyle: true });
    try {
      let healthy = false;
      const { deliveries, handler } = recorder((event) => {
        if (!healthy && event.Records.some((record) => pkOf(record).startsWith(prefix))) {
          throw new Error('sink down');
        }
      });
      const definition = testConsumer({
        name: 'bucket-consumer',
        onFailure: 'bucket',
        retryAttempts: 1,
        // Both writes in one batch, so one object holds both.
        maxBatchingWindowSeconds: 2,
        ...onlyPrefix(prefix),
      });
      const { runner } = startRunner(definition, handler, undefined, {
        onFailureBucket: { s3, bucket: 'failures' },
      });
      // Act
      for (let n = 1; n <= 2; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
      await runner.waitForIdle();
      // Assess: one object per skipped batch, keyed as Lambda keys them, holding the records.
      const failures = new FailureBucket({ s3, bucket: 'failures', mappingId: definition.name });
      const [stored, ...others] = await failures.list();
      expect(others).toEqual([]);
      expect(stored!.key).toMatch(
        /^aws\/lambda\/bucket-consumer\/[^/]+\/\d{4}\/\d{2}\/\d{2}\/\d{4}-\d{2}-\d{2}T\d{2}\.\d{2}\.\d{2}-[0-9a-f-]{36}$/,
      );
      expect(stored!.body.requestContext.condition).toBe('RetryAttemptsExhausted');
      const payload = JSON.parse(stored!.body.payload!) as DynamoDBStreamEvent;
      expect(payload.Records.map(numberOf)).toEqual([1, 2]);
      expect(runner.stats()[0]).toMatchObject({ dlqMessages: 1, dlqRecords: 2 });
      // Act: replay with a stream that answers nothing, as after its 24 h retention.
      healthy = true;
      const goneStream = {
        send: async () => {
          throw new Error('the stream no longer holds these records');
        },
      } as unknown as DynamoDBStreamsClient;
      const result = await replayFailedBatch(goneStream, stored!.body, { definition, handler });
      await failures.delete(stored!.key);
      // Assess
      expect(result).toEqual({ read: 2, delivered: 2 });
      expect(deliveries.at(-1)!.map(numberOf)).toEqual([1, 2]);
      expect(await failures.list()).toEqual([]);
    } finally {
      s3.destroy();
      await server.stop();
    }
  });

  // services-ddb-batchfailurereporting: with bisect and ReportBatchItemFailures on, "the batch is
  // bisected at the returned sequence number and Lambda retries only the remaining records".
  it('retries from a failed first record whole, with bisect on, instead of halving the batch', async () => {
    // Prepare
    const prefix = `BISECT-FIRST-${Date.now()}`;
    let failedOnce = false;
    const { deliveries, handler } = recorder((event) => {
      const first = event.Records[0];
      if (first && !failedOnce) {
        failedOnce = true;
        return { batchItemFailures: [{ itemIdentifier: first.dynamodb!.SequenceNumber! }] };
      }
    });
    for (let n = 1; n <= 4; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    // Act
    const { runner } = startRunner(
      testConsumer({ ...onlyPrefix(prefix), batchSize: 100, bisectBatchOnError: true }),
      handler,
    );
    await runner.waitForIdle();
    // Assess
    expect(deliveries.map((batch) => batch.map(numberOf))).toEqual([
      [1, 2, 3, 4],
      [1, 2, 3, 4],
    ]);
    expect(runner.stats()[0]).toMatchObject({ bisections: 0, retries: 1, dlqRecords: 0 });
  });

  // MaximumRetryAttempts -1: "Lambda retries failed records until the record expires" (Lambda API reference).
  it('keeps retrying a failing batch with retryAttempts -1 until it succeeds, sending nothing to the DLQ', async () => {
    // Prepare
    const prefix = `INFINITE-${Date.now()}`;
    const { deliveries, handler } = recorder((_, call) => {
      if (call <= 12) throw new Error('sink down');
    });
    await put({ PK: `${prefix}#1`, SK: 'X', n: 1 });
    // Act
    const { runner, dlq } = startRunner(
      testConsumer({ ...onlyPrefix(prefix), retryAttempts: -1 }),
      handler,
    );
    await runner.waitForIdle();
    // Assess
    expect(deliveries).toHaveLength(13);
    expect(dlq.receive()).toEqual([]);
    expect(runner.stats()[0]).toMatchObject({ retries: 12, processed: 1, dlqRecords: 0 });
  });

  it('stops retrying with retryAttempts -1 once the record passes the maximum record age', async () => {
    // Prepare: every failed invocation moves the runner's clock 1,000 s on.
    const prefix = `INFINITE-AGED-${Date.now()}`;
    let offsetMs = 0;
    const { deliveries, handler } = recorder(() => {
      offsetMs += 1000_000;
      throw new Error('sink down');
    });
    await put({ PK: `${prefix}#1`, SK: 'X', n: 1 });
    // Act
    const { runner, dlq } = startRunner(
      testConsumer({ ...onlyPrefix(prefix), retryAttempts: -1, maxRecordAgeSeconds: 3600 }),
      handler,
      undefined,
      { now: () => Date.now() + offsetMs },
    );
    await runner.waitForIdle();
    // Assess: DynamoDB Local stamps records to the minute, so the record starts 0 to 60 s old.
    expect(deliveries).toHaveLength(4);
    const [message, ...others] = dlq.receive();
    expect(others).toEqual([]);
    expect(message!.body.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 4,
    });
  });

  // MaximumRecordAgeInSeconds -1: "infinite: failed records are retried until the record
  // expires. The data retention limit for DynamoDB Streams is 24 hours." (services-ddb-params)
  it.each([
    [23, 1, 0],
    [25, 0, 1],
  ])(
    'with maxRecordAgeSeconds -1 and a record %d h old, invokes %d times and sends %d records to the DLQ',
    async (hours, invocations, dlqRecords) => {
      // Prepare
      const prefix = `NO-AGE-LIMIT-${hours}-${Date.now()}`;
      const { deliveries, handler } = recorder();
      await put({ PK: `${prefix}#1`, SK: 'X', n: 1 });
      // Act
      const { runner, dlq } = startRunner(
        testConsumer({ ...onlyPrefix(prefix), maxRecordAgeSeconds: -1 }),
        handler,
        undefined,
        { now: () => Date.now() + hours * HOUR_MS },
      );
      await runner.waitForIdle();
      // Assess
      expect(deliveries).toHaveLength(invocations);
      expect(runner.stats()[0]).toMatchObject({ dlqRecords });
      expect(dlq.receive().map((message) => message.body.requestContext.condition)).toEqual(
        dlqRecords > 0 ? ['RecordAgeExceeded'] : [],
      );
    },
  );

  // MaximumRecordAgeInSeconds: "Discard records older than the specified age" (Lambda API reference).
  it('skips only the expired records of a batch to the DLQ and still delivers the fresh ones behind them', async () => {
    // Prepare: the first record reads two hours old, the two behind it were just written.
    const prefix = `AGED-${Date.now()}`;
    for (let n = 1; n <= 3; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    const { deliveries, handler } = recorder();
    // Act
    const { runner, dlq } = startRunner(
      testConsumer({ ...onlyPrefix(prefix), batchSize: 100, maxRecordAgeSeconds: 3600 }),
      handler,
      undefined,
      { client: agingStreams((pk) => pk === `${prefix}#1`, 2 * HOUR_MS) },
    );
    await runner.waitForIdle();
    // Assess
    expect(deliveries.flat().map(numberOf)).toEqual([2, 3]);
    const messages = dlq.receive();
    expect(messages).toHaveLength(1);
    expect(messages[0]!.body.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(messages[0]!.body.DDBStreamBatchInfo).toMatchObject({ batchSize: 1 });
    const { startSequenceNumber, endSequenceNumber } = messages[0]!.body.DDBStreamBatchInfo;
    expect(startSequenceNumber).toBe(endSequenceNumber);
    expect(runner.stats()[0]).toMatchObject({ processed: 2, dlqRecords: 1 });
  });

  it('fails and retries a batch whose handler times out or answers malformed', async () => {
    const prefix = `FAULTS-${Date.now()}`;
    const { deliveries, handler } = recorder((event, call) => {
      if (!event.Records.some((record) => pkOf(record).startsWith(prefix))) return;
      if (call === 1) return new Promise(() => {});
      if (call === 2) return { batchItemFailures: [{ itemIdentifier: '' }] };
    });
    await put({ PK: `${prefix}#1`, SK: 'X', n: 1 });
    const runner = launchRunner({
      consumers: [{ definition: testConsumer({ batchSize: 1000, retryAttempts: 3 }), handler }],
      retryDelayMs: () => 1,
      invokeTimeoutMs: () => 200,
    });
    await runner.waitForIdle();
    const mine = deliveries.filter((batch) =>
      batch.some((record) => pkOf(record).startsWith(prefix)),
    );
    expect(mine.length).toBe(3);
    expect(runner.stats()[0]).toMatchObject({ retries: 2, dlqRecords: 0 });
  });

  it('throttles a third concurrent reader of a shard, as DynamoDB Streams does, and admits it once a reader stops', async () => {
    // Prepare: three mappings of one stream, each its own reader, as three Lambda mappings are.
    const prefix = `READERS-${Date.now()}`;
    const shardReaders = new ShardReaders();
    const reader = (name: string) => {
      const recording = recorder();
      const started = startRunner(
        testConsumer({ name: `reader-${name}`, ...onlyPrefix(prefix) }),
        recording.handler,
        undefined,
        { shardReaders },
      );
      return { ...started, recording };
    };
    const first = reader('first');
    const second = reader('second');
    await Promise.all([first.runner.waitForIdle(), second.runner.waitForIdle()]);
    const third = reader('third');
    // Act
    for (let n = 1; n <= 3; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    await Promise.all([first.runner.waitForIdle(), second.runner.waitForIdle()]);
    // Assess: two readers hold every shard; the third is refused with LimitExceededException.
    expect(first.recording.all().map(numberOf)).toEqual([1, 2, 3]);
    expect(second.recording.all().map(numberOf)).toEqual([1, 2, 3]);
    expect(third.recording.all()).toEqual([]);
    expect(third.runner.stats()[0]!.throttledReads).toBeGreaterThan(0);
    expect(first.runner.stats()[0]!.throttledReads).toBe(0);
    // Act: one reader stops, giving up its place.
    await first.runner.stop();
    await third.runner.waitForIdle();
    // Assess
    expect(third.recording.all().map(numberOf)).toEqual([1, 2, 3]);
  });

  it('resumes after a restart from its checkpoint, losing and repeating nothing', async () => {
    const prefix = `RESUME-${Date.now()}`;
    const definition = testConsumer({
      filters: [{ dynamodb: { Keys: { PK: { S: [{ prefix }] } } } }],
    });
    const first = recorder();
    const { runner, stateDirectory } = startRunner(definition, first.handler);
    for (let n = 1; n <= 3; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    await runner.waitForIdle();
    await runner.stop();

    for (let n = 4; n <= 6; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    const second = recorder();
    const restarted = startRunner(definition, second.handler, stateDirectory);
    await restarted.runner.waitForIdle();

    expect(first.all().map(numberOf)).toEqual([1, 2, 3]);
    expect(second.all().map(numberOf)).toEqual([4, 5, 6]);
    rmSync(stateDirectory, { recursive: true, force: true });
  });

  it('abandons a batch whose handler returned when it crashes, so a restart delivers it again', async () => {
    // Prepare
    const prefix = `CRASH-${Date.now()}`;
    const definition = testConsumer({
      filters: [{ dynamodb: { Keys: { PK: { S: [{ prefix }] } } } }],
      batchSize: 100,
    });
    let crashed: Promise<void> | undefined;
    let runner: LocalRunner | undefined;
    const first = recorder(() => {
      // The sink write is done; the process dies before the checkpoint is written.
      crashed ??= runner!.crash();
    });
    for (let n = 1; n <= 3; n++) await put({ PK: `${prefix}#${n}`, SK: 'X', n });
    const started = startRunner(definition, first.handler);
    runner = started.runner;
    // Act
    const deadline = Date.now() + 10_000;
    while (!crashed && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await crashed;
    const second = recorder();
    const restarted = startRunner(definition, second.handler, started.stateDirectory);
    await restarted.runner.waitForIdle();
    // Assess
    expect(first.all().map(numberOf)).toEqual([1, 2, 3]);
    expect(second.all().map(numberOf)).toEqual([1, 2, 3]);
    expect(runner.stats()[0]).toMatchObject({ processed: 0 });
    rmSync(started.stateDirectory, { recursive: true, force: true });
  });

  it("delivers DynamoDB Local's own TTL expiry as a REMOVE with the service identity", async () => {
    // DynamoDB Local expires items itself only on tables without GSIs (see LocalTtlProcess).
    const plain = await createTestTable({ ...mainTable, globalSecondaryIndexes: [] }, 'ttl');
    const expiring = recorder();
    launchRunner({
      streamArn: plain.streamArn!,
      consumers: [{ definition: archiveExpired, handler: expiring.handler }],
    });
    const past = Math.floor(Date.now() / 1000) - 60;
    await plain.client.send(
      new PutItemCommand({
        TableName: plain.tableName,
        Item: marshall({ PK: 'SESSION#s1', SK: 'METADATA', ttl: past }),
      }),
    );

    await waitFor(() => expiring.all().length > 0, 60_000);
    expect(expiring.all()).toHaveLength(1);
    expect(expiring.all()[0]).toMatchObject({
      eventName: 'REMOVE',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: { OldImage: { PK: { S: 'SESSION#s1' }, ttl: { N: String(past) } } },
    });
    expect(expiring.all()[0]!.dynamodb?.NewImage).toBeUndefined();
  }, 90_000);

  it("expires the main table's items through the local TTL process, and leaves user deletes and extended items alone", async () => {
    const prefix = `TTL-${Date.now()}`;
    const ttl = new LocalTtlProcess({
      client: table.client,
      tableName: table.tableName,
      attribute: 'ttl',
      keyAttributes: ['PK', 'SK'],
      ledgerFile: join(mkdtempSync(join(tmpdir(), 'ttl-')), 'ledger.jsonl'),
    });
    const archive = recorder();
    const removes = recorder();
    const runner = launchRunner({
      consumers: [
        { definition: archiveExpired, handler: archive.handler },
        {
          definition: testConsumer({
            filters: [{ eventName: ['REMOVE'], dynamodb: { Keys: { PK: { S: [{ prefix }] } } } }],
          }),
          handler: removes.handler,
        },
      ],
      ttlDeletions: ttl,
    });
    const past = Math.floor(Date.now() / 1000) - 60;
    await put({ PK: `${prefix}#expired`, SK: 'METADATA', ttl: past });
    await put({ PK: `${prefix}#future`, SK: 'METADATA', ttl: past + 3600 });
    await put({ PK: `${prefix}#deleted`, SK: 'METADATA', ttl: past + 3600 });
    await table.client.send(
      new DeleteItemCommand({
        TableName: table.tableName,
        Key: marshall({ PK: `${prefix}#deleted`, SK: 'METADATA' }),
      }),
    );

    expect(await ttl.sweep()).toBeGreaterThanOrEqual(1);
    await runner.waitForIdle();

    const expired = archive.all().filter((record) => pkOf(record).startsWith(prefix));
    expect(expired.map(pkOf)).toEqual([`${prefix}#expired`]);
    expect(expired[0]).toMatchObject({
      eventName: 'REMOVE',
      userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    });
    const userDelete = removes.all().find((record) => pkOf(record) === `${prefix}#deleted`);
    expect(userDelete?.userIdentity).toBeUndefined();
    expect(removes.all().map(pkOf)).not.toContain(`${prefix}#future`);
  });
});
