import {
  appendFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { aggregatesTable, mainTable } from '@pipeline/model';
import { type OpenSearchNode, startOpenSearchNode } from '@pipeline/opensearch-local';
import { Access, accessEnvironment, EnvVar } from '@pipeline/pipeline';
import { type ArchiveServer, startArchiveServer } from './archive-server.js';
import { type DynamoDbLocal, localAwsClientConfig, startDynamoDbLocal } from './dynamodb-local.js';
import { DataDirectoryLockedError } from './errors.js';
import { LocalRunner, type LocalRunnerOptions, type RunnerConsumer } from './runner.js';
import { ensureTable } from './tables.js';
import { LocalTtlProcess } from './ttl-process.js';

/** Where the local TTL process remembers its deletions, under the data directory. */
export const ttlLedgerFile = (dataDirectory: string): string =>
  join(dataDirectory, 'ttl-deletions.jsonl');

/** The lock file of a data directory: the PID of the stack that uses it. */
export const dataDirectoryLockFile = (dataDirectory: string): string =>
  join(dataDirectory, 'stack.lock');

/** A held {@link lockDataDirectory} lock. */
export interface DataDirectoryLock {
  readonly file: string;
  /**
   * Records the PID of an engine process the stack started, so that a stack taking the
   * lock over after this one died waits for that engine to be gone from the files first.
   */
  recordEngine(pid: number): void;
  /** Removes the lock file if it is still this process's. Safe to call twice. */
  release(): void;
}

/** How long a takeover waits for a dead stack's engines to exit (at stdin EOF) first. */
const ENGINE_EXIT_WAIT_MS = 60_000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user holds the PID, which is alive all the same.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const pidOf = (text: string | undefined): number | undefined => {
  const pid = Number(text?.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
};

/** The lock's holder (its first line) and the engines it recorded (`engine <pid>` lines). */
const lockContent = (file: string): { holder?: number; engines: number[] } => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { engines: [] };
    throw error;
  }
  const [first, ...rest] = text.split('\n');
  const holder = pidOf(first);
  const engines = rest
    .map((line) => pidOf(/^engine (\d+)$/.exec(line.trim())?.[1]))
    .filter((pid) => pid !== undefined);
  return { ...(holder === undefined ? {} : { holder }), engines };
};

const holderOf = (file: string): number | undefined => lockContent(file).holder;

const waitForEngines = async (dataDirectory: string, engines: readonly number[]) => {
  const deadline = Date.now() + ENGINE_EXIT_WAIT_MS;
  for (const engine of engines) {
    while (alive(engine)) {
      if (Date.now() > deadline) throw new DataDirectoryLockedError(dataDirectory, engine);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
};

/**
 * Takes the exclusive lock of a data directory, so one stack at a time runs on its files:
 * `stack.lock` created with `wx`, holding this process's PID and then its engines' PIDs.
 * A lock whose PID is alive (this process's own included) throws
 * {@link DataDirectoryLockedError} naming it; a lock left by a process that died without
 * releasing it (SIGKILL, a crash), or one torn before its PID was written, is taken over,
 * once the engines it recorded have exited (they do at the end of their stdin).
 *
 * @example
 * const lock = await lockDataDirectory('.local');
 * try { await run(); } finally { lock.release(); }
 */
export const lockDataDirectory = async (dataDirectory: string): Promise<DataDirectoryLock> => {
  mkdirSync(dataDirectory, { recursive: true });
  const file = dataDirectoryLockFile(dataDirectory);
  const release = () => {
    if (holderOf(file) === process.pid) rmSync(file, { force: true });
  };
  const recordEngine = (pid: number) => {
    if (holderOf(file) === process.pid) appendFileSync(file, `engine ${pid}\n`);
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return { file, recordEngine, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const { holder, engines } = lockContent(file);
    if (holder !== undefined && alive(holder))
      throw new DataDirectoryLockedError(dataDirectory, holder);
    // The dead stack's JVMs may still be closing their files.
    await waitForEngines(dataDirectory, engines);
    // Moved aside before it is removed, so that of two processes taking over the same stale
    // lock, neither removes the fresh lock the other has just taken.
    const aside = `${file}.${process.pid}.stale`;
    try {
      renameSync(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = holderOf(aside);
    if (moved !== holder && moved !== undefined && alive(moved)) {
      // Another process took the lock between the read and the rename: put it back.
      try {
        linkSync(aside, file);
      } finally {
        rmSync(aside, { force: true });
      }
      throw new DataDirectoryLockedError(dataDirectory, moved);
    }
    rmSync(aside, { force: true });
  }
  throw new DataDirectoryLockedError(dataDirectory, holderOf(file) ?? 0);
};

/** Settings of the local stack; every one has a default that needs no configuration. */
export interface LocalStackSettings {
  /**
   * Root of everything kept across restarts: DynamoDB Local's files, the search data,
   * the archive, checkpoints and the on-failure queues.
   * @default undefined — everything in memory, checkpoints in a temporary directory
   */
  readonly dataDirectory?: string;
  /** Use this DynamoDB (Local or AWS) instead of starting DynamoDB Local. */
  readonly dynamodbEndpoint?: string;
  /** Use this OpenSearch instead of starting the local OpenSearch node. */
  readonly openSearchUrl?: string;
  /** Called with progress lines while the OpenSearch node is resolved on a first run. */
  readonly onProgress?: (message: string) => void;
  readonly tableName: string;
  readonly aggregatesTableName: string;
  readonly archiveBucket: string;
  readonly archivePrefix: string;
  /**
   * The handlers' log level, which Powertools' Logger reads from `POWERTOOLS_LOG_LEVEL`.
   * @default 'warn' — per-batch INFO lines would bury the launcher's own output
   */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The running local engines and how to reach them. */
export interface LocalEngines {
  readonly dynamodbEndpoint: string;
  readonly openSearchUrl: string;
  readonly s3Endpoint: string;
  /** The local OpenSearch node, when one was started rather than an external cluster named. */
  readonly openSearchNode: OpenSearchNode | undefined;
  readonly streamArn: string;
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** Expires the main table's items as DynamoDB's TTL does; see {@link LocalTtlProcess}. */
  readonly ttl: LocalTtlProcess;
  /** The environment the consumer handlers read, with the same names as in AWS. */
  readonly handlerEnvironment: Readonly<Record<string, string>>;
  /**
   * Resolves with the engine's name when a JVM this stack started (DynamoDB Local, the
   * OpenSearch node) exits before stop() was called: killed, crashed, or signalled.
   */
  readonly engineExited: Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the engines the pipeline runs on locally — DynamoDB Local with both tables,
 * a single-node OpenSearch and the S3-compatible archive — or connects to the ones the
 * settings name. DynamoDB Local and OpenSearch start side by side. With a data directory
 * it first takes the directory's lock ({@link lockDataDirectory}). Stops whatever it
 * started, in reverse order, the lock last.
 *
 * @example
 * const engines = await startLocalEngines({ dataDirectory: '.local', ...names });
 */
export const startLocalEngines = async (settings: LocalStackSettings): Promise<LocalEngines> => {
  const started: { stop(): Promise<void> }[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const engine of started.reverse()) await engine.stop();
  };
  let reportExit: (engine: string) => void = () => {};
  const engineExited = new Promise<string>((resolve) => {
    reportExit = (engine) => {
      if (!stopping) resolve(engine);
    };
  });
  const dir = settings.dataDirectory;
  let lock: DataDirectoryLock | undefined;
  // First taken, last released: no second stack may start on these files meanwhile.
  if (dir) {
    lock = await lockDataDirectory(dir);
    const held = lock;
    started.push({ stop: async () => held.release() });
  }
  // The JVM takes the longest to start, so it starts first and is awaited last.
  const openSearchStarting: Promise<OpenSearchNode | undefined> = settings.openSearchUrl
    ? Promise.resolve(undefined)
    : startOpenSearchNode({
        ...(dir ? { dataDirectory: join(dir, 'opensearch') } : {}),
        ...(settings.onProgress ? { onProgress: settings.onProgress } : {}),
      });
  openSearchStarting.catch(() => {}); // awaited below; this only marks it handled
  // Registered at once, so a failure elsewhere still stops a node that comes up later.
  started.push({ stop: async () => (await openSearchStarting.catch(() => undefined))?.stop() });
  try {
    let dynamodbEndpoint = settings.dynamodbEndpoint;
    if (!dynamodbEndpoint) {
      const local: DynamoDbLocal = await startDynamoDbLocal(
        dir ? { dataDirectory: join(dir, 'dynamodb') } : {},
      );
      started.push(local);
      lock?.recordEngine(local.pid);
      void local.exited.then(() => reportExit('DynamoDB Local'));
      dynamodbEndpoint = local.endpoint;
    }
    const config = localAwsClientConfig(dynamodbEndpoint);
    const dynamodb = new DynamoDBClient(config);
    const streams = new DynamoDBStreamsClient(config);
    started.push({
      stop: async () => {
        dynamodb.destroy();
        streams.destroy();
      },
    });
    const streamArn = await ensureTable(dynamodb, mainTable, settings.tableName);
    await ensureTable(dynamodb, aggregatesTable, settings.aggregatesTableName);
    if (!streamArn) throw new Error(`table ${settings.tableName} has no stream`);

    const ttl = new LocalTtlProcess({
      client: dynamodb,
      tableName: settings.tableName,
      attribute: mainTable.timeToLiveAttribute,
      keyAttributes: [mainTable.partitionKey.name, mainTable.sortKey.name],
      ledgerFile: ttlLedgerFile(dir ?? mkdtempSync(join(tmpdir(), 'pipeline-ttl-'))),
    });
    ttl.start();
    started.push(ttl);

    const openSearchNode = await openSearchStarting;
    void openSearchNode?.exited.then(() => reportExit('OpenSearch'));
    if (openSearchNode) lock?.recordEngine(openSearchNode.pid);
    const openSearchUrl = settings.openSearchUrl ?? (openSearchNode as OpenSearchNode).url;
    const archive: ArchiveServer = await startArchiveServer({
      ...(dir ? { directory: join(dir, 'archive') } : {}),
      buckets: [settings.archiveBucket],
    });
    started.push(archive);

    return {
      dynamodbEndpoint,
      openSearchUrl,
      s3Endpoint: archive.endpoint,
      openSearchNode,
      streamArn,
      dynamodb,
      streams,
      ttl,
      handlerEnvironment: {
        // What every consumer's access needs, as the CDK app sets it per function; and
        // the local engines' endpoints, which functions in AWS do without.
        ...accessEnvironment(Object.values(Access), {
          tableName: settings.tableName,
          aggregatesTableName: settings.aggregatesTableName,
          archiveBucket: settings.archiveBucket,
          archivePrefix: settings.archivePrefix,
          search: { url: openSearchUrl },
        }),
        [EnvVar.dynamodbEndpoint]: dynamodbEndpoint,
        [EnvVar.s3Endpoint]: archive.endpoint,
        // Locally the runner's /pipeline figures stand in for CloudWatch, and EMF lines on
        // stdout would drown the launcher's own output.
        POWERTOOLS_METRICS_DISABLED: 'true',
        // In AWS, Lambda's AWS_LAMBDA_LOG_LEVEL sets it; Powertools wants it upper-case.
        POWERTOOLS_LOG_LEVEL: (settings.logLevel ?? 'warn').toUpperCase(),
        AWS_REGION: config.region,
        AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
      },
      engineExited,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};

/**
 * Starts the local event source mappings for the given consumers over the engines'
 * stream, keeping checkpoints and on-failure queues under `stateDirectory`.
 */
export const startLocalPipeline = (
  engines: LocalEngines,
  consumers: readonly RunnerConsumer[],
  stateDirectory: string,
  options: Partial<LocalRunnerOptions> = {},
): LocalRunner => {
  const runner = new LocalRunner({
    streamArn: engines.streamArn,
    client: engines.streams,
    consumers,
    stateDirectory,
    ttlDeletions: engines.ttl,
    ...options,
  });
  runner.start();
  return runner;
};
