import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { updateAggregatesConsumer } from '@pipeline/aggregates';
import { archiveExpiredConsumer, createS3ObjectStore } from '@pipeline/archive';
import { mappings } from '@pipeline/consumers';
import {
  type ConsumerStats,
  FileQueue,
  type LocalEngines,
  LocalRunner,
  localAwsClientConfig,
  type RunnerConsumer,
  readFailedBatch,
  replayFailedBatch,
  type StreamHandler,
  startLocalEngines,
} from '@pipeline/local';
import { type ConsumerDefinition, mappingFunction } from '@pipeline/pipeline';
import {
  type BulkClient,
  createSearchClient,
  ensureSearchIndices,
  removeSearchIndices,
  syncSearchConsumer,
} from '@pipeline/search';
import { createStore } from '@pipeline/store';
import { type LogSink, matchesAnyFilter, runConsumers } from '@pipeline/streams';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  type FaultKind,
  FaultPlan,
  type FaultRates,
  FaultKind as Kind,
  operationFaultKinds,
} from './faults.js';
import { faultyDynamoDb, faultySearchClient, wrapHandler } from './inject.js';
import {
  type AggregateInvariants,
  type ArchiveInvariants,
  checkEndState,
  type EndState,
  type SearchInvariants,
  scanTable,
} from './invariants.js';
import { createRandom } from './random.js';
import { SearchNodeHarness } from './search-node.js';
import {
  type OperationKind,
  operationWeights,
  POISON_PREFIX,
  Workload,
  type WorkloadReport,
} from './workload.js';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Seeds the operations and the fault schedule. */
  readonly seed: number;
  /** Number of random store operations. */
  readonly ops: number;
  /** Pace of the operations, so faults meet a pipeline at work. @default 100 */
  readonly opsPerSecond?: number;
  /** Lifetime of sessions and short-lived views, in seconds. @default 2 */
  readonly ttlSeconds?: number;
  /**
   * How long to wait, once every expiring item is past its `ttl`, for DynamoDB's TTL to
   * remove them. @default 60000
   */
  readonly ttlWaitMs?: number;
  /** Overrides of the fault rates. */
  readonly rates?: Partial<FaultRates>;
  /** Inject every fault kind at least once, at the first chance each gets. @default false */
  readonly everyFaultKind?: boolean;
  /**
   * Revoke sessions already past their expiry, racing the TTL process's delete.
   * @default true
   */
  readonly revokeExpired?: boolean;
  /**
   * Place a deleted order id again for any customer, not only the one who had it.
   * @default true
   */
  readonly recreateForAnyone?: boolean;
  /** Overrides of the operation weights; 0 leaves an operation out. */
  readonly weights?: Partial<Record<OperationKind, number>>;
  /** Use this DynamoDB (Local) instead of starting one; tables get unique names and are deleted after. */
  readonly dynamodbEndpoint?: string;
  /**
   * Use this OpenSearch instead of starting a node; indices get a unique prefix and are
   * deleted after. The run cannot kill a cluster it did not start, so `searchNodeKilled`
   * is then never drawn.
   */
  readonly openSearchUrl?: string;
  /** Deadline for the pipeline to become idle, each time it is awaited. @default 120000 */
  readonly idleTimeoutMs?: number;
  /** Progress lines. */
  readonly onProgress?: (line: string) => void;
}

/** The outcome of a DLQ replay. */
export interface DlqReport {
  /** On-failure messages found after the run, over every consumer. */
  readonly messages: number;
  /** Messages replayed successfully and deleted. */
  readonly replayed: number;
  /** Messages that hold poison records: they fail again, as they must, and stay queued. */
  readonly poison: number;
  /**
   * Poison items missing from the DLQ of a consumer whose filter takes them. A poison item
   * may be queued more than once (a restart re-reads it before the checkpoint passed it),
   * but never zero times.
   */
  readonly poisonNotQueued: number;
  /** Messages that failed again without a poison record: each is a failure. */
  readonly stillFailing: number;
}

/** Everything a chaos run measured; `failures` is empty when every invariant held. */
export interface ChaosReport {
  readonly seed: number;
  readonly ops: number;
  readonly durationMs: number;
  readonly workload: Omit<WorkloadReport, 'expiring' | 'poisonKeys'> & {
    readonly poisonItems: number;
  };
  readonly faults: Record<FaultKind, number>;
  readonly faultsInjected: number;
  readonly search: SearchInvariants;
  readonly aggregates: AggregateInvariants;
  readonly archive: ArchiveInvariants;
  /** Why TTL expiries were not exercised, when they were not. */
  readonly ttlNotExercised?: string;
  /** Per SIGKILL of the OpenSearch node, milliseconds until the new JVM served again. */
  readonly searchNodeOutagesMs: readonly number[];
  /** Why the OpenSearch node could not be killed, when it could not. */
  readonly searchNodeKillNotExercised?: string;
  /**
   * Bulk requests of `sync-search` that found no node (connection refused or reset): their
   * records were reported as failed and redelivered.
   */
  readonly searchUnreachableBulks: number;
  readonly dlq: DlqReport;
  /** Runner statistics per consumer, summed over every runner the run started. */
  readonly runner: { readonly starts: number; readonly consumers: readonly ConsumerStats[] };
  readonly failures: readonly string[];
}

const silentLogger: LogSink = {
  debug() {},
  info() {},
  warn() {},
  error() {},
} as unknown as LogSink;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sumStats = (runs: readonly ConsumerStats[][]): ConsumerStats[] => {
  const byName = new Map<string, Record<string, number | string>>();
  for (const run of runs) {
    for (const stats of run) {
      const total = byName.get(stats.name) ?? { name: stats.name };
      for (const [field, value] of Object.entries(stats)) {
        if (
          typeof value !== 'number' ||
          field === 'dlqDepth' ||
          field === 'lagMs' ||
          field === 'shards'
        )
          continue;
        total[field] = ((total[field] as number | undefined) ?? 0) + value;
      }
      total.dlqDepth = stats.dlqDepth;
      total.lagMs = stats.lagMs;
      total.shards = stats.shards;
      byName.set(stats.name, total);
    }
  }
  return [...byName.values()] as unknown as ConsumerStats[];
};

/**
 * The local runner of a chaos run, replaced by a new one on the same state directory when
 * it crashes or restarts.
 */
class RunnerHarness {
  runner: LocalRunner;
  starts = 1;
  readonly #make: () => LocalRunner;
  readonly #history: ConsumerStats[][] = [];
  #switching: Promise<void> | undefined;

  constructor(make: () => LocalRunner) {
    this.#make = make;
    this.runner = make();
    this.runner.start();
  }

  #replace(stopped: Promise<void>, old: LocalRunner): Promise<void> {
    this.#switching = (async () => {
      await stopped;
      this.#history.push(old.stats());
      this.runner = this.#make();
      this.starts++;
      this.runner.start();
      this.#switching = undefined;
    })();
    return this.#switching;
  }

  /** Crashes the runner now and starts a new one in the background; false if one is already being replaced. */
  crash(): boolean {
    if (this.#switching) return false;
    const old = this.runner;
    void this.#replace(old.crash(), old);
    return true;
  }

  /** Stops the runner gracefully, once any crash replacement is done, and starts a new one. */
  async restart(): Promise<boolean> {
    await this.settled();
    const old = this.runner;
    await this.#replace(old.stop(), old);
    return true;
  }

  async settled(): Promise<void> {
    while (this.#switching) await this.#switching;
  }

  /** Waits until the current runner is idle and was not replaced meanwhile. */
  async waitForIdle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      await this.settled();
      const current = this.runner;
      try {
        await current.waitForIdle(Math.min(5000, Math.max(1, deadline - Date.now())));
        if (current === this.runner && !this.#switching) return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`the pipeline was not idle within ${timeoutMs} ms`, { cause: lastError });
  }

  stats(): ConsumerStats[] {
    return sumStats([...this.#history, this.runner.stats()]);
  }

  async stop(): Promise<void> {
    await this.settled();
    await this.runner.stop();
  }
}

/** The consumers built from the package factories, with the clients the faults go through. */
interface BuiltConsumers {
  readonly real: RunnerConsumer[];
  readonly faulty: RunnerConsumer[];
  readonly s3: S3Client;
  /** Bulk requests of the search consumer that found no node to answer them. */
  readonly unreachableBulks: () => number;
  readonly close: () => Promise<void>;
}

/**
 * Counts the bulk requests that reached no OpenSearch (refused or reset connections, while
 * the node is down) and passes their errors on, which the consumer retries.
 */
const countUnreachable = (client: BulkClient, counter: { count: number }): BulkClient => ({
  bulk: (async (params: unknown, options: unknown) => {
    try {
      return await (client.bulk as (p: unknown, o: unknown) => Promise<unknown>)(params, options);
    } catch (error) {
      if ((error as { name?: unknown })?.name === 'ConnectionError') counter.count++;
      throw error;
    }
  }) as BulkClient['bulk'],
});

/** What one run names after its seed: its tables, its archive and its search prefix. */
interface RunNames {
  readonly tableName: string;
  readonly aggregatesTableName: string;
  readonly archiveBucket: string;
  readonly archivePrefix: string;
  readonly searchPrefix: string;
}

const buildConsumers = (
  engines: LocalEngines,
  names: RunNames,
  plan: FaultPlan,
  crash: () => boolean,
): BuiltConsumers => {
  const config = localAwsClientConfig(engines.dynamodbEndpoint);
  const search = createSearchClient({ node: engines.openSearchUrl, requestTimeoutMs: 10_000 });
  const unreachable = { count: 0 };
  const searchReads = new DynamoDBClient(config);
  const aggregatesClient = new DynamoDBClient(config);
  const archive = {
    endpoint: engines.s3Endpoint,
    forcePathStyle: true,
    region: config.region,
    credentials: config.credentials,
  };
  const s3 = new S3Client(archive);
  // Each consumer's own factory, over clients that inject the plan's faults.
  const handlers = new Map<ConsumerDefinition, StreamHandler>([
    [
      syncSearchConsumer.definition,
      syncSearchConsumer.create({
        client: faultySearchClient(countUnreachable(search, unreachable), plan),
        // Faults go on the bulk writes; the consumer's read-back of markers uses the plain client.
        reader: search,
        dynamodb: searchReads,
        tableName: names.tableName,
        prefix: names.searchPrefix,
        logger: silentLogger,
        timeBudgetMs: 3000,
        baseDelayMs: 5,
        maxDelayMs: 100,
      }),
    ],
    [
      updateAggregatesConsumer.definition,
      updateAggregatesConsumer.create({
        tableName: names.aggregatesTableName,
        client: faultyDynamoDb(aggregatesClient, plan),
        logger: silentLogger,
        baseDelayMs: 5,
        maxDelayMs: 100,
      }),
    ],
    [
      archiveExpiredConsumer.definition,
      archiveExpiredConsumer.create({
        objects: createS3ObjectStore(archive),
        bucket: names.archiveBucket,
        prefix: names.archivePrefix,
        tableName: names.tableName,
        logger: silentLogger,
      }),
    ],
  ]);
  const handlerOf = (consumer: ConsumerDefinition): StreamHandler => {
    const handler = handlers.get(consumer);
    if (!handler) throw new Error(`the chaos run has no factory for consumer ${consumer.name}`);
    return handler;
  };
  // One runner consumer per event source mapping, running its consumers as the function does.
  const real = mappings.map((mapping) => {
    const definition = mappingFunction(mapping);
    return {
      definition: {
        ...definition,
        // Shortened for speed; every other setting is the production definition.
        maxBatchingWindowSeconds: Math.min(definition.maxBatchingWindowSeconds, 1),
      },
      handler: runConsumers(
        mapping.consumers.map((consumer) => ({
          definition: consumer,
          handler: handlerOf(consumer),
        })),
      ),
    };
  });
  return {
    real,
    faulty: real.map(({ definition, handler }) => ({
      definition,
      handler: wrapHandler(definition.name, handler, plan, { crash }),
    })),
    s3,
    unreachableBulks: () => unreachable.count,
    close: async () => {
      await search.close();
      searchReads.destroy();
      aggregatesClient.destroy();
      s3.destroy();
    },
  };
};

const poisonProbe: DynamoDBRecord = {
  eventName: 'INSERT',
  dynamodb: {
    Keys: { PK: { S: `${POISON_PREFIX}probe` }, SK: { S: 'POISON' } },
    NewImage: {
      PK: { S: `${POISON_PREFIX}probe` },
      SK: { S: 'POISON' },
      entityType: { S: 'Order' },
    },
  },
};

/** Replays every on-failure message of every consumer; poison messages stay queued. */
const replayDlq = async (
  engines: LocalEngines,
  stateDirectory: string,
  consumers: readonly RunnerConsumer[],
  poisonKeys: readonly { PK: string; SK: string }[],
): Promise<DlqReport> => {
  let messages = 0;
  let replayed = 0;
  let poison = 0;
  let stillFailing = 0;
  const queuedPoison = new Set<string>();
  for (const consumer of consumers) {
    const queue = new FileQueue(join(stateDirectory, 'dlq', consumer.definition.name));
    for (const message of queue.receive()) {
      messages++;
      const result = await replayFailedBatch(engines.streams, message.body, consumer, engines.ttl);
      if (result.failedAt === undefined) {
        queue.delete(message.id);
        replayed++;
        continue;
      }
      const records = await readFailedBatch(engines.streams, message.body, engines.ttl);
      const failed = records.find((record) => record.dynamodb?.SequenceNumber === result.failedAt);
      const pk = failed?.dynamodb?.Keys?.PK?.S;
      if (pk?.startsWith(POISON_PREFIX)) {
        poison++;
        // A batch whose first record fails is retried whole and queued from that record on,
        // so one message can hold several poison items: each of them stays queued.
        for (const record of records) {
          const key = record.dynamodb?.Keys?.PK?.S;
          if (key?.startsWith(POISON_PREFIX))
            queuedPoison.add(`${consumer.definition.name}\u0000${key}`);
        }
      } else stillFailing++;
    }
  }
  let poisonNotQueued = 0;
  for (const consumer of consumers) {
    // The poison image claims to be an order: every consumer that takes orders must queue it.
    if (!matchesAnyFilter(consumer.definition.filters, poisonProbe)) continue;
    for (const key of poisonKeys)
      if (!queuedPoison.has(`${consumer.definition.name}\u0000${key.PK}`)) poisonNotQueued++;
  }
  return { messages, replayed, poison, stillFailing, poisonNotQueued };
};

/**
 * Runs the pipeline under faults: starts its own local engines, builds the consumers from
 * the package factories behind faulty clients, runs them under the real LocalRunner with
 * the production definitions, drives `ops` seeded operations through the store while
 * injecting faults, then stops injecting, waits for idle, replays the DLQ and checks the
 * end-state invariants of search, aggregates and archive. Among the faults, the OpenSearch
 * node it started is killed with SIGKILL between two operations and started again in the
 * background while the operations go on; the node is back before the pipeline is awaited.
 *
 * @example
 * const report = await runChaos({ seed: 42, ops: 300 });
 * if (report.failures.length > 0) process.exitCode = 1;
 */
export const runChaos = async (options: ChaosOptions): Promise<ChaosReport> => {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const ttlSeconds = options.ttlSeconds ?? 2;
  const suffix = randomUUID().slice(0, 8);
  const names: RunNames = {
    tableName: `chaos-main-${options.seed}-${suffix}`,
    aggregatesTableName: `chaos-aggregates-${options.seed}-${suffix}`,
    archiveBucket: 'chaos-archive',
    archivePrefix: 'expired',
    // A node of the run's own holds nothing else; a shared cluster does.
    searchPrefix: options.openSearchUrl ? `chaos-${options.seed}-${suffix}-` : '',
  };
  const stateDirectory = mkdtempSync(join(tmpdir(), 'chaos-'));
  const engines = await startLocalEngines({
    ...(options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {}),
    ...(options.openSearchUrl ? { openSearchUrl: options.openSearchUrl } : {}),
    ...names,
  });
  const plan = new FaultPlan(options.seed, options.rates, options.everyFaultKind);
  const searchNode = engines.openSearchNode
    ? new SearchNodeHarness(engines.openSearchNode, progress)
    : undefined;
  const searchNodeKillNotExercised = searchNode
    ? undefined
    : `the run uses the OpenSearch at ${engines.openSearchUrl}, which it did not start; it kills only a node of its own`;
  let harness: RunnerHarness | undefined;
  let consumers: BuiltConsumers | undefined;
  try {
    const search = createSearchClient({ node: engines.openSearchUrl });
    try {
      await ensureSearchIndices(search, { prefix: names.searchPrefix });
    } finally {
      await search.close();
    }
    consumers = buildConsumers(engines, names, plan, () => harness?.crash() ?? false);
    const faulty = consumers.faulty;
    harness = new RunnerHarness(
      () =>
        new LocalRunner({
          streamArn: engines.streamArn,
          client: engines.streams,
          consumers: faulty,
          stateDirectory,
          pollIntervalMs: 50,
          shardDiscoveryIntervalMs: 250,
          retryDelayMs: (attempt) => Math.min(100, 5 * 2 ** attempt),
          ttlDeletions: engines.ttl,
        }),
    );

    const random = createRandom(options.seed);
    const workload = new Workload(
      random,
      { ...operationWeights, ...options.weights },
      {
        store: createStore({ tableName: names.tableName, client: engines.dynamodb }),
        shortLivedViews: createStore({
          tableName: names.tableName,
          client: engines.dynamodb,
          productViewTtlSeconds: ttlSeconds,
        }),
        client: engines.dynamodb,
        tableName: names.tableName,
        ttlSeconds,
        revokeExpired: options.revokeExpired ?? true,
        recreateForAnyone: options.recreateForAnyone ?? true,
      },
    );
    const interval = 1000 / (options.opsPerSecond ?? 100);
    const opsStarted = Date.now();
    for (let index = 0; index < options.ops; index++) {
      const kinds = operationFaultKinds({
        index,
        ops: options.ops,
        canKillSearchNode: searchNode !== undefined,
      });
      const fault = plan.draw(kinds, 'operation', index);
      if (fault === Kind.poisonRecord) {
        await workload.poison();
        plan.record(fault);
      } else if (fault === Kind.runnerRestart && (await harness.restart())) {
        plan.record(fault);
      } else if (fault === Kind.searchNodeKilled && searchNode) {
        // A kill drawn while the node is still starting waits for it, so the schedule stays
        // the seed's. The workload goes on writing while the new JVM starts; the consumers'
        // bulk requests meet a refused connection until it serves again.
        await searchNode.back();
        progress(`operation ${index}: SIGKILL to the OpenSearch node (pid ${searchNode.pid})`);
        await searchNode.kill();
        plan.record(fault);
      }
      await workload.step();
      const ahead = opsStarted + (index + 1) * interval - Date.now();
      if (ahead > 0) await sleep(ahead);
      if ((index + 1) % Math.max(1, Math.floor(options.ops / 10)) === 0)
        progress(`operations ${index + 1}/${options.ops}`);
    }
    const workloadReport = workload.report();

    const ttlNotExercised = await waitForExpiries(
      engines.dynamodb,
      names.tableName,
      workloadReport,
      {
        ttlWaitMs: options.ttlWaitMs ?? 60_000,
        progress,
      },
    );
    if (searchNode?.down) progress('waiting for the OpenSearch node to come back');
    await searchNode?.back();
    progress('waiting for the pipeline to catch up under faults');
    await harness.waitForIdle(idleTimeoutMs);
    plan.enabled = false;
    progress('faults off; waiting for idle');
    await harness.waitForIdle(idleTimeoutMs);
    progress('replaying the DLQ');
    const dlq = await replayDlq(engines, stateDirectory, consumers.real, workloadReport.poisonKeys);
    await harness.waitForIdle(idleTimeoutMs);

    progress('checking invariants');
    const checkClient = createSearchClient({ node: engines.openSearchUrl });
    let endState: EndState;
    try {
      endState = await checkEndState({
        dynamodb: engines.dynamodb,
        tableName: names.tableName,
        aggregatesTableName: names.aggregatesTableName,
        search: checkClient,
        searchPrefix: names.searchPrefix,
        s3: consumers.s3,
        bucket: names.archiveBucket,
        archivePrefix: names.archivePrefix,
        expiring: workloadReport.expiring,
        startedAt: started,
        afterScan: () => harness!.waitForIdle(idleTimeoutMs),
      });
    } finally {
      await checkClient.close();
    }
    const { search: searchInvariants, aggregates: aggregateInvariants } = endState;
    const archiveInvariants = endState.archive;

    const faults = plan.counts();
    const failures = [...endState.failures];
    const expectZero = (name: string, value: number) => {
      if (value !== 0) failures.push(`${name} = ${value}, expected 0`);
    };
    expectZero('store.acceptedInvalidTransitions', workloadReport.acceptedInvalidTransitions);
    expectZero('dlq.stillFailing', dlq.stillFailing);
    expectZero('dlq.poisonNotQueued', dlq.poisonNotQueued);

    const { expiring: _expiring, poisonKeys, ...counts } = workloadReport;
    return {
      seed: options.seed,
      ops: options.ops,
      durationMs: Date.now() - started,
      workload: { ...counts, poisonItems: poisonKeys.length },
      faults,
      faultsInjected: Object.values(faults).reduce((sum, count) => sum + count, 0),
      search: searchInvariants,
      aggregates: aggregateInvariants,
      archive: archiveInvariants,
      ...(ttlNotExercised ? { ttlNotExercised } : {}),
      searchNodeOutagesMs: searchNode?.outagesMs ?? [],
      searchUnreachableBulks: consumers.unreachableBulks(),
      ...(searchNodeKillNotExercised ? { searchNodeKillNotExercised } : {}),
      dlq,
      runner: { starts: harness.starts, consumers: harness.stats() },
      failures,
    };
  } finally {
    await harness?.stop();
    await consumers?.close();
    if (options.dynamodbEndpoint) {
      for (const table of [names.tableName, names.aggregatesTableName])
        await engines.dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
    }
    if (options.openSearchUrl) {
      const cleanup = createSearchClient({ node: engines.openSearchUrl });
      await removeSearchIndices(cleanup, { prefix: names.searchPrefix }).catch(() => {});
      await cleanup.close();
    }
    // A restart under way would otherwise bring up a JVM after the engines stopped.
    await searchNode?.settled();
    await engines.stop();
    rmSync(stateDirectory, { recursive: true, force: true });
  }
};

/**
 * Waits until DynamoDB's TTL has removed every expiring item that no user deleted, or
 * `ttlWaitMs` after the last one passed its expiry. Returns why TTL was not exercised
 * when it removed none of them.
 *
 * @example
 * const ttlNotExercised = await waitForExpiries(dynamodb, 'orders', workload.report(), { ttlWaitMs: 60_000, progress: console.error });
 */
export const waitForExpiries = async (
  dynamodb: DynamoDBClient,
  tableName: string,
  workload: WorkloadReport,
  options: { ttlWaitMs: number; progress: (line: string) => void },
): Promise<string | undefined> => {
  const waiting = workload.expiring.filter((item) => !item.deletedByUser);
  if (waiting.length === 0) return 'no item was written to expire';
  const lastTtl = Math.max(...waiting.map((item) => item.ttl)) * 1000;
  const deadline = Math.max(Date.now(), lastTtl) + options.ttlWaitMs;
  options.progress(
    `waiting up to ${Math.round((deadline - Date.now()) / 1000)} s for TTL to remove ${waiting.length} items`,
  );
  let remaining = waiting.length;
  while (Date.now() < deadline) {
    const present = new Set(
      (await scanTable(dynamodb, tableName)).map((item) => `${item.PK}\u0000${item.SK}`),
    );
    remaining = waiting.filter((item) => present.has(`${item.PK}\u0000${item.SK}`)).length;
    if (remaining === 0) return undefined;
    await sleep(1000);
  }
  if (remaining < waiting.length) return undefined;
  return `DynamoDB Local removed none of the ${waiting.length} expired items within ${Math.round(options.ttlWaitMs / 1000)} s of their expiry`;
};
