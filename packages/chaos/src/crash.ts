import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { localAwsClientConfig } from '@pipeline/local';
import { mainTable } from '@pipeline/model';
import { EnvVar } from '@pipeline/pipeline';
import { createSearchClient } from '@pipeline/search';
import { createStore, type Store } from '@pipeline/store';
import { StackStartError } from './errors.js';
import { checkEndState, type EndState } from './invariants.js';
import { createRandom } from './random.js';
import { waitForExpiries } from './run.js';
import { operationWeights, Workload, type WorkloadReport } from './workload.js';

/** How to reach a started stack: what `npm start` writes to `runtime.json` in its data directory. */
export interface StackEndpoints {
  /** The stack's own process; a new one after every restart. */
  readonly pid: number;
  readonly dynamodbEndpoint: string;
  readonly openSearchUrl: string;
  readonly s3Endpoint: string;
  readonly apiUrl?: string;
  /** The handlers' environment: table names, bucket and prefix under their AWS names. */
  readonly environment: Readonly<Record<string, string>>;
}

/** The stack a crash-recovery run starts, kills and starts again. */
export interface StackLauncher {
  /**
   * The command line that starts the whole stack in the foreground, as `npm start` does
   * (`--data-dir` and `--port 0` are appended).
   */
  readonly command: readonly string[];
  /** Reads the endpoints a running stack wrote under its data directory; `undefined` while none runs. */
  readonly readEndpoints: (dataDirectory: string) => StackEndpoints | undefined;
  /** Working directory of the command. @default process.cwd() */
  readonly cwd?: string;
  /** Further flags, such as `--opensearch-url` to keep a shared OpenSearch out of the kills. */
  readonly extraArgs?: readonly string[];
}

/** Options of {@link runCrashRecovery}. */
export interface CrashRecoveryOptions {
  readonly stack: StackLauncher;
  /** Seeds the operations. */
  readonly seed: number;
  /** Number of store operations, spread over the stack's lives. */
  readonly ops: number;
  /** Times every process of the stack is SIGKILLed mid-traffic and the stack started again. */
  readonly crashes: number;
  /** Pace of the operations, so each kill meets a pipeline at work. @default 50 */
  readonly opsPerSecond?: number;
  /** Lifetime of sessions and short-lived views, in seconds. @default 2 */
  readonly ttlSeconds?: number;
  /** How long to wait for TTL to remove the expired items, past the last expiry. @default 60000 */
  readonly ttlWaitMs?: number;
  /** How long the pipeline has to reach the end state after the operations. @default 120000 */
  readonly settleTimeoutMs?: number;
  /** How long one start of the stack may take. @default 180000 */
  readonly startTimeoutMs?: number;
  /** The stack's data directory. @default a temporary directory, removed after the run */
  readonly dataDirectory?: string;
  readonly onProgress?: (line: string) => void;
}

/** What a crash-recovery run measured; `failures` is empty when every invariant held. */
export interface CrashRecoveryReport extends Omit<EndState, 'failures'> {
  readonly seed: number;
  readonly ops: number;
  readonly crashes: number;
  /** The operation index before which each SIGKILL was sent. */
  readonly crashedBefore: readonly number[];
  /** How many processes each SIGKILL took down: Node and the JVMs it started. */
  readonly killedProcesses: readonly number[];
  /** Milliseconds from each start of the stack until it served. */
  readonly startsMs: readonly number[];
  readonly durationMs: number;
  readonly workload: Omit<WorkloadReport, 'expiring' | 'poisonKeys'>;
  readonly ttlNotExercised?: string;
  /** On-failure messages the restarted stack holds at the end, over every mapping. */
  readonly dlqDepth: number;
  readonly failures: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until DynamoDB Local has committed the workload's last acknowledged write: it
 * answers a transaction before its SQLite commit is done, and a strongly consistent read
 * after the answer was, in every probe, enough to make it durable (figures in
 * docs/local-runner.md). DynamoDB itself acknowledges only durable writes, so the run
 * leaves the engine its commit; the pipeline's own work in flight is still cut anywhere.
 */
const awaitEngineCommit = async (clients: StackClients): Promise<void> => {
  await clients.dynamodb.send(
    new GetItemCommand({
      TableName: clients.tableName,
      Key: {
        [mainTable.partitionKey.name]: { S: 'CRASH#BARRIER' },
        [mainTable.sortKey.name]: { S: 'CRASH#BARRIER' },
      },
      ConsistentRead: true,
    }),
  );
};

/** Whether a process is still alive (a zombie counts as gone). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/**
 * Every process of the tree under `root`, root included, from /proc: the stack starts
 * DynamoDB Local and OpenSearch in process groups of their own, so its group alone is not
 * the whole stack.
 */
const processTree = (root: number): number[] => {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name is in parentheses and may hold spaces: the parent PID follows it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Exited while listed.
    }
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
};

/** One life of the stack: its launching process, and how to reach it. */
interface StackLife {
  readonly child: ChildProcess;
  readonly endpoints: StackEndpoints;
  /** The last lines it printed, for errors. */
  readonly output: () => string;
}

const startStack = async (
  stack: StackLauncher,
  dataDirectory: string,
  previousPid: number | undefined,
  timeoutMs: number,
): Promise<StackLife> => {
  const [command, ...args] = stack.command;
  if (!command) throw new StackStartError('the stack command is empty', '');
  // A group of its own, so that nothing of the run's own is in the stack's tree.
  const child = spawn(
    command,
    [...args, '--data-dir', dataDirectory, '--port', '0', ...(stack.extraArgs ?? [])],
    { cwd: stack.cwd ?? process.cwd(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const life = { child, output: () => output };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new StackStartError('the stack exited while starting', output);
    const endpoints = stack.readEndpoints(dataDirectory);
    // A killed stack leaves its runtime file behind; only a new process's counts.
    if (endpoints?.apiUrl && endpoints.pid !== previousPid) {
      const healthy = await fetch(`${endpoints.apiUrl}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) return { ...life, endpoints };
    }
    await sleep(250);
  }
  await killStack(life);
  throw new StackStartError(`the stack did not serve within ${timeoutMs} ms`, output);
};

/**
 * SIGKILL to every process of the stack at once, as a power cut would leave it: its process
 * group and the groups of its JVMs. Returns how many processes it killed, once none is left.
 */
const killStack = async (life: Pick<StackLife, 'child'>): Promise<number> => {
  const root = life.child.pid;
  if (root === undefined) return 0;
  // Listed before any kill: a killed parent's children are re-parented and lost to the walk.
  const tree = processTree(root);
  for (const pid of tree) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  try {
    process.kill(-root, 'SIGKILL');
  } catch {
    // No group left.
  }
  const deadline = Date.now() + 30_000;
  while (tree.some(alive) && Date.now() < deadline) await sleep(50);
  return tree.length;
};

/** The clients of one life of the stack, through which the workload writes. */
interface StackClients {
  readonly dynamodb: DynamoDBClient;
  readonly store: Store;
  readonly shortLivedViews: Store;
  readonly tableName: string;
}

const clientsOf = (endpoints: StackEndpoints, ttlSeconds: number): StackClients => {
  const tableName = endpoints.environment[EnvVar.tableName] ?? '';
  const dynamodb = new DynamoDBClient(localAwsClientConfig(endpoints.dynamodbEndpoint));
  return {
    dynamodb,
    tableName,
    store: createStore({ tableName, client: dynamodb }),
    shortLivedViews: createStore({
      tableName,
      client: dynamodb,
      productViewTtlSeconds: ttlSeconds,
    }),
  };
};

interface PipelineStatusBody {
  readonly consumers?: readonly { readonly lagMs?: number; readonly dlqDepth?: number }[];
}

/** The stack's `GET /pipeline`: whether every mapping has caught up, and its DLQ depth. */
const pipelineStatus = async (
  apiUrl: string | undefined,
): Promise<{ caughtUp: boolean; dlqDepth: number }> => {
  if (!apiUrl) return { caughtUp: true, dlqDepth: 0 };
  const response = await fetch(`${apiUrl}/pipeline`);
  const body = (await response.json()) as PipelineStatusBody;
  const consumers = body.consumers ?? [];
  return {
    caughtUp: consumers.length > 0 && consumers.every((consumer) => consumer.lagMs === 0),
    dlqDepth: consumers.reduce((sum, consumer) => sum + (consumer.dlqDepth ?? 0), 0),
  };
};

/**
 * Crash recovery as a run: starts the whole stack as child processes on one data
 * directory, drives `ops` seeded store operations against it, and `crashes` times between
 * two operations SIGKILLs every process of the stack at once (Node, DynamoDB Local's and
 * OpenSearch's JVMs, each in a process group of its own) while the pipeline is at work, then starts it again on the same
 * directory and goes on. At the end it waits for TTL and for the pipeline to catch up, and
 * checks the end-state invariants: the search index matches the table, every aggregate is
 * exact, the archive holds every expired item once; none of it went to an on-failure queue.
 * The kills fall between operations so the workload's model of what exists stays exact;
 * what they cut is the pipeline's work in flight: batches, checkpoints, bulk requests,
 * transactions and archive writes.
 *
 * @example
 * const report = await runCrashRecovery({ stack: { command: ['npx', 'tsx', 'packages/cli/src/main.ts', 'start'], readEndpoints: readRuntimeFile }, seed: 1, ops: 200, crashes: 3 });
 */
export const runCrashRecovery = async (
  options: CrashRecoveryOptions,
): Promise<CrashRecoveryReport> => {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const ttlSeconds = options.ttlSeconds ?? 2;
  const startTimeoutMs = options.startTimeoutMs ?? 180_000;
  const dataDirectory = options.dataDirectory ?? mkdtempSync(join(tmpdir(), 'chaos-crash-'));
  const crashedBefore = Array.from({ length: options.crashes }, (_, index) =>
    Math.floor(((index + 1) * options.ops) / (options.crashes + 1)),
  );
  const startsMs: number[] = [];
  const killedProcesses: number[] = [];
  let life: StackLife | undefined;
  let clients: StackClients | undefined;
  const start = async () => {
    const at = Date.now();
    life = await startStack(options.stack, dataDirectory, life?.endpoints.pid, startTimeoutMs);
    startsMs.push(Date.now() - at);
    clients?.dynamodb.destroy();
    clients = clientsOf(life.endpoints, ttlSeconds);
    progress(
      `stack ${startsMs.length} serving at ${life.endpoints.apiUrl} (pid ${life.endpoints.pid})`,
    );
  };
  try {
    await start();
    const current = () => clients!;
    const workload = new Workload(createRandom(options.seed), operationWeights, {
      // Getters: each life of the stack has endpoints of its own.
      get store() {
        return current().store;
      },
      get shortLivedViews() {
        return current().shortLivedViews;
      },
      get client() {
        return current().dynamodb;
      },
      get tableName() {
        return current().tableName;
      },
      ttlSeconds,
    });
    const interval = 1000 / (options.opsPerSecond ?? 50);
    let paced = Date.now();
    for (let index = 0; index < options.ops; index++) {
      if (crashedBefore.includes(index)) {
        await awaitEngineCommit(current());
        const killed = await killStack(life!);
        killedProcesses.push(killed);
        progress(`operation ${index}: SIGKILL to the stack's ${killed} processes`);
        await start();
        paced = Date.now() - index * interval;
      }
      await workload.step();
      const ahead = paced + (index + 1) * interval - Date.now();
      if (ahead > 0) await sleep(ahead);
    }
    const workloadReport = workload.report();
    const { environment } = life!.endpoints;
    const ttlNotExercised = await waitForExpiries(
      current().dynamodb,
      current().tableName,
      workloadReport,
      { ttlWaitMs: options.ttlWaitMs ?? 60_000, progress },
    );

    progress('waiting for the pipeline to reach the end state');
    const config = localAwsClientConfig(life!.endpoints.dynamodbEndpoint);
    const s3 = new S3Client({
      endpoint: life!.endpoints.s3Endpoint,
      forcePathStyle: true,
      region: config.region,
      credentials: config.credentials,
    });
    const search = createSearchClient({ node: life!.endpoints.openSearchUrl });
    try {
      const deadline = Date.now() + (options.settleTimeoutMs ?? 120_000);
      let endState: EndState;
      let status: { caughtUp: boolean; dlqDepth: number };
      let lastLine = '';
      // The end state is reached when the pipeline has caught up; until the deadline, a
      // check that fails is taken again, since a caught-up runner may not have polled the
      // stream's newest records yet.
      for (;;) {
        status = await pipelineStatus(life!.endpoints.apiUrl);
        endState = await checkEndState({
          dynamodb: current().dynamodb,
          tableName: current().tableName,
          aggregatesTableName: environment[EnvVar.aggregatesTableName] ?? '',
          search,
          s3,
          bucket: environment[EnvVar.archiveBucket] ?? '',
          archivePrefix: environment[EnvVar.archivePrefix] ?? '',
          expiring: workloadReport.expiring,
          startedAt: started,
        });
        if ((status.caughtUp && endState.failures.length === 0) || Date.now() > deadline) break;
        const waitingFor = [...endState.failures, ...(status.caughtUp ? [] : ['a mapping lags'])];
        const line = `not there yet: ${waitingFor.join('; ')}`;
        if (line !== lastLine) progress(line);
        lastLine = line;
        await sleep(1000);
      }
      const failures = [...endState.failures];
      if (status.dlqDepth !== 0) failures.push(`dlqDepth = ${status.dlqDepth}, expected 0`);
      if (workloadReport.acceptedInvalidTransitions !== 0)
        failures.push(
          `store.acceptedInvalidTransitions = ${workloadReport.acceptedInvalidTransitions}, expected 0`,
        );
      const { expiring: _expiring, poisonKeys: _poison, ...counts } = workloadReport;
      return {
        seed: options.seed,
        ops: options.ops,
        crashes: options.crashes,
        crashedBefore,
        killedProcesses,
        startsMs,
        durationMs: Date.now() - started,
        workload: counts,
        ...(ttlNotExercised ? { ttlNotExercised } : {}),
        search: endState.search,
        aggregates: endState.aggregates,
        archive: endState.archive,
        dlqDepth: status.dlqDepth,
        failures,
      };
    } finally {
      s3.destroy();
      await search.close();
    }
  } finally {
    if (life) await killStack(life);
    clients?.dynamodb.destroy();
    if (!options.dataDirectory) rmSync(dataDirectory, { recursive: true, force: true });
  }
};
