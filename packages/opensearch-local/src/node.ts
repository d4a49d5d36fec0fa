import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { type Engine, type ResolveEngineOptions, resolveEngine } from './engine.js';
import { NodeStartError } from './errors.js';

/**
 * A running single-node OpenSearch, a child JVM of this process. The handle outlives a
 * crash and restart: `pid`, `exited`, `stop` and `kill` always refer to the current JVM.
 */
export interface OpenSearchNode {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The current JVM's process id. */
  readonly pid: number;
  /** The OpenSearch version it runs, as the pom pins it. */
  readonly version: string;
  /** Where its indices live; a temporary directory, removed on stop, when none was given. */
  readonly dataDirectory: string;
  /** Settles once the current JVM has exited, however it ended. */
  readonly exited: Promise<void>;
  /** Closes the node cleanly and waits for the JVM to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the JVM with SIGKILL, as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
  /**
   * Starts a new JVM on the same port and data directory once this one has been killed,
   * as a node comes back after a crash: what was flushed or in the translog is there again.
   */
  restart(): Promise<void>;
}

/** Options of {@link startOpenSearchNode}. */
export interface StartOpenSearchNodeOptions extends ResolveEngineOptions {
  /**
   * Directory for the node's data and logs, so indices survive a restart.
   * @default a temporary directory, removed on stop
   */
  readonly dataDirectory?: string;
  /**
   * HTTP port on 127.0.0.1.
   * @default 0 — a free port the node picks
   */
  readonly port?: number;
  /**
   * JVM heap, both initial and maximum, in MiB. 1 GiB serves 100k documents on a 2-core,
   * 24 GiB machine with room for DynamoDB Local beside it.
   * @default 1024
   */
  readonly heapMiB?: number;
  /**
   * How long to wait for the node to serve HTTP and report a yellow or green cluster.
   * @default 120000
   */
  readonly startTimeoutMs?: number;
  /** Further node settings, which override the local defaults. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * The node settings of every local run. Loopback only, one node, no security plugin (it is
 * simply not on the classpath), disk watermarks off so a nearly full small disk does not
 * block writes, and the 10 MiB request limit of the smaller Amazon OpenSearch Service
 * instance types, so an oversized bulk fails locally the way it fails there (413).
 */
const localNodeSettings = (port: number, home: string): Record<string, string> => ({
  'cluster.name': 'pipeline-local',
  'node.name': 'local',
  'discovery.type': 'single-node',
  'network.host': '127.0.0.1',
  'http.port': String(port),
  'transport.port': '0',
  'path.data': join(home, 'data'),
  'path.logs': join(home, 'logs'),
  'cluster.routing.allocation.disk.threshold_enabled': 'false',
  'http.max_content_length': '10mb',
  'logger.level': 'WARN',
});

// The JVM options of OpenSearch's own jvm.options that matter outside its launcher scripts.
const jvmOptions = (heapMiB: number, home: string, temporary: boolean): string[] => [
  `-Xms${heapMiB}m`,
  `-Xmx${heapMiB}m`,
  '-XX:+UseG1GC',
  '-XX:+ExitOnOutOfMemoryError',
  '-XX:-OmitStackTraceInFastThrow',
  '-Xss1m',
  '-Dfile.encoding=UTF-8',
  '-Djava.locale.providers=SPI,COMPAT',
  `-Djava.io.tmpdir=${join(home, 'tmp')}`,
  '-Dlog4j2.disable.jmx=true',
  '-Dlog4j.shutdownHookEnabled=false',
  '-Dio.netty.noUnsafe=true',
  '-Dio.netty.noKeySetOptimization=true',
  '-Dio.netty.recycler.maxCapacityPerThread=0',
  // A temporary home goes with the JVM, even when the parent died without removing it.
  `-Dlocalnode.deleteHomeOnExit=${temporary}`,
];

const READY = /^LOCAL_NODE_READY (\d+)$/m;

type NodeProcess = ChildProcessByStdio<Writable, Readable, Readable>;

const waitForPort = (java: NodeProcess, timeoutMs: number, output: () => string): Promise<number> =>
  new Promise((resolvePort, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new NodeStartError(`OpenSearch did not serve HTTP within ${timeoutMs} ms:\n${output()}`),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-1000);
      const match = READY.exec(seen);
      if (match) {
        cleanup();
        resolvePort(Number(match[1]));
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(
        new NodeStartError(`OpenSearch exited with ${code ?? signal} while starting:\n${output()}`),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      java.stdout.off('data', onData);
      java.off('exit', onExit);
    };
    java.stdout.on('data', onData);
    java.once('exit', onExit);
  });

/** Waits until the cluster reports yellow or green: every primary shard is assigned. */
const waitForCluster = async (
  url: string,
  deadline: number,
  output: () => string,
): Promise<void> => {
  for (;;) {
    const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    try {
      const response = await fetch(
        `${url}/_cluster/health?wait_for_status=yellow&timeout=${Math.min(left, 10)}s`,
      );
      const body = (await response.json()) as { status?: string };
      if (response.ok && (body.status === 'yellow' || body.status === 'green')) return;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline) {
      throw new NodeStartError(
        `OpenSearch at ${url} did not report yellow or green in time:\n${output()}`,
      );
    }
    await new Promise((done) => setTimeout(done, 100));
  }
};

/**
 * Starts a real single-node OpenSearch (the version the CDK domain deploys) as a child JVM
 * on 127.0.0.1 and resolves once its cluster is yellow or green. The first call resolves
 * the node from Maven Central, with progress, and caches it. The JVM exits when this process
 * does, even by SIGKILL: it watches its stdin, whose end comes with its parent's death.
 *
 * @example
 * const node = await startOpenSearchNode({ dataDirectory: '.local/opensearch' });
 * const client = new Client({ node: node.url });
 * await node.stop();
 */
export const startOpenSearchNode = async (
  options: StartOpenSearchNodeOptions = {},
): Promise<OpenSearchNode> => {
  const temporary = options.dataDirectory === undefined;
  const home = temporary
    ? mkdtempSync(join(tmpdir(), 'opensearch-local-'))
    : resolve(options.dataDirectory as string);
  const removeTemporary = () => {
    if (temporary) rmSync(home, { recursive: true, force: true });
  };
  const engine = await resolveEngine(options).catch((error: unknown) => {
    removeTemporary();
    throw error;
  });
  let jvm = await launchJvm(engine, options, home, temporary).catch((error: unknown) => {
    removeTemporary();
    throw error;
  });
  const { port } = jvm;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get pid() {
      return jvm.pid;
    },
    version: engine.version,
    dataDirectory: home,
    get exited() {
      return jvm.exited;
    },
    stop: async () => {
      await jvm.stop();
      removeTemporary();
    },
    kill: () => jvm.kill(),
    restart: async () => {
      if (jvm.running()) throw new NodeStartError('restart() needs the node to have exited first');
      jvm = await launchJvm(engine, { ...options, port }, home, temporary);
    },
  };
};

/** One JVM of a node: it serves on `port` once this resolves. */
interface Jvm {
  readonly port: number;
  readonly pid: number;
  readonly exited: Promise<void>;
  running(): boolean;
  /** Closes the node cleanly and waits for the JVM to exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const launchJvm = async (
  engine: Engine,
  options: StartOpenSearchNodeOptions,
  home: string,
  temporary: boolean,
): Promise<Jvm> => {
  const started = Date.now();
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  mkdirSync(join(home, 'tmp'), { recursive: true });
  const settings = { ...localNodeSettings(options.port ?? 0, home), ...options.settings };
  const java: NodeProcess = spawn(
    engine.java,
    [
      ...jvmOptions(options.heapMiB ?? 1024, home, temporary),
      '-cp',
      engine.classpath,
      'LocalNode',
      home,
      ...Object.entries(settings).map(([key, value]) => `${key}=${value}`),
    ],
    // A process group of its own, so a Ctrl-C to the terminal's group reaches only the Node
    // process, which stops what runs on the node before the node; stdin EOF still ends it.
    { stdio: ['pipe', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  };
  java.stdout.on('data', collect);
  java.stderr.on('data', collect);
  // The pipe breaks when the JVM dies first; that is reported through `exited`.
  java.stdin.on('error', () => {});
  const exited = new Promise<void>((done) => {
    if (java.exitCode !== null || java.signalCode !== null) done();
    else java.once('exit', () => done());
  });
  const running = () => java.exitCode === null && java.signalCode === null;
  const stop = async () => {
    if (running()) {
      // End of stdin makes the launcher close the node and exit.
      java.stdin.end();
      const forced = setTimeout(() => java.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(forced);
    }
  };
  const kill = async () => {
    if (running()) java.kill('SIGKILL');
    await exited;
  };

  let port: number;
  try {
    port = await waitForPort(java, timeoutMs, () => log);
    await waitForCluster(`http://127.0.0.1:${port}`, started + timeoutMs, () => log);
  } catch (error) {
    await kill();
    throw error;
  }
  // Neither the JVM nor its pipes keep this process alive; the JVM follows it out.
  java.unref();
  for (const stream of [java.stdin, java.stdout, java.stderr]) {
    (stream as unknown as { unref?: () => void }).unref?.();
  }
  if (java.pid === undefined) throw new NodeStartError('the JVM has no process id');
  return { port, pid: java.pid, exited, running, stop, kill };
};
