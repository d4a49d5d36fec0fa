import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@opensearch-project/opensearch';
import { createAggregatesReader } from '@pipeline/aggregates';
import { type ApiServer, createApi, startApiServer } from '@pipeline/api';
import {
  type LocalEngines,
  type LocalRunner,
  type LocalRunnerOptions,
  startLocalEngines,
  startLocalPipeline,
} from '@pipeline/local';
import { createSearchClient, ensureSearchIndices } from '@pipeline/search';
import { createStore, type Store } from '@pipeline/store';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import {
  bundleMappings,
  type HandlerMode,
  type LoadedConsumer,
  loadConsumers,
} from '../consumers.js';
import { removeRuntimeFile, writeRuntimeFile } from '../runtime-file.js';
import {
  localSettings,
  logLevelOf,
  logLevelShows,
  type ResolvedLocalSettings,
  resolveLocalSettings,
  settingsHelp,
  toStackSettings,
} from '../settings.js';

/** Options of {@link startPipeline} beyond the settings. */
export interface StartPipelineOptions {
  /** Runner options, such as its log sink. */
  readonly runner?: Partial<LocalRunnerOptions>;
  /** Progress lines while OpenSearch is resolved from Maven Central on a first run. */
  readonly onProgress?: (message: string) => void;
}

/** Everything {@link startPipeline} started, and how to stop it. */
export interface RunningPipeline {
  readonly engines: LocalEngines;
  readonly runner: LocalRunner;
  readonly search: Client;
  readonly store: Store;
  readonly api: ApiServer;
  readonly consumers: readonly LoadedConsumer[];
  /** The runner's checkpoints and on-failure queues: `<data-dir>/runner`, or a temporary directory in memory. */
  readonly stateDirectory: string;
  /** Stops the API, the runner and the engines, in that order. */
  stop(): Promise<void>;
}

const handlerModeOf = (value: string): HandlerMode => {
  if (value !== 'bundle' && value !== 'in-process') {
    throw new UsageError(`--handlers must be bundle or in-process, not ${JSON.stringify(value)}`, {
      flag: '--handlers',
    });
  }
  return value;
};

const portOf = (value: string): number => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(
      `the port must be a number from 0 to 65535, not ${JSON.stringify(value)}`,
      { flag: '--port' },
    );
  }
  return port;
};

/**
 * Starts the whole pipeline as `npm start` does: the engines, the search indices, every
 * consumer of the pipeline definition under the local runner, and the HTTP API with the
 * dashboard. Without a data directory everything lives in memory and a temporary
 * directory that stop() removes.
 *
 * @example
 * const pipeline = await startPipeline({ ...settings, dataDirectory: '', port: '0' });
 * console.log(pipeline.api.url);
 * await pipeline.stop();
 */
export const startPipeline = async (
  settings: ResolvedLocalSettings,
  options: StartPipelineOptions = {},
): Promise<RunningPipeline> => {
  const port = portOf(settings.port);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  const handlerMode = handlerModeOf(settings.handlers);
  // esbuild needs no engine: the bundles build while the JVMs start.
  const bundles = handlerMode === 'bundle' ? bundleMappings() : undefined;
  bundles?.catch(() => {});
  stops.push(async () => (await bundles?.catch(() => undefined))?.dispose());
  try {
    const engines = await startLocalEngines({
      ...toStackSettings(settings),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    stops.push(() => engines.stop());
    const search = createSearchClient({ node: engines.openSearchUrl });
    stops.push(() => search.close());
    await ensureSearchIndices(search);
    const consumers = await loadConsumers(
      engines.handlerEnvironment,
      undefined,
      handlerMode,
      bundles,
    );
    stops.push(async () => {
      await Promise.all(consumers.map((consumer) => consumer.close()));
    });

    let stateDirectory = settings.dataDirectory ? join(settings.dataDirectory, 'runner') : '';
    if (!stateDirectory) {
      const temporary = mkdtempSync(join(tmpdir(), 'pipeline-runner-'));
      stops.push(async () => rmSync(temporary, { recursive: true, force: true }));
      stateDirectory = temporary;
    }
    const runner = startLocalPipeline(engines, consumers, stateDirectory, options.runner);
    stops.push(() => runner.stop());

    const store = createStore({ tableName: settings.tableName, client: engines.dynamodb });
    const aggregates = createAggregatesReader({
      tableName: settings.aggregatesTableName,
      client: engines.dynamodb,
    });
    const apiHandlers = createApi({
      store,
      search,
      aggregates,
      pipelineStats: () =>
        runner.stats().map((stats) => {
          const sandbox = consumers
            .find((consumer) => consumer.definition.name === stats.name)
            ?.sandbox?.();
          return sandbox ? { ...stats, sandbox } : stats;
        }),
    });
    const api = await startApiServer({ api: apiHandlers, host: settings.host, port }).catch(
      (error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE'
          ? new Error(
              `${settings.host}:${port} is in use; pick another with --port or PORT (0 picks a free one)`,
              { cause: error },
            )
          : error;
      },
    );
    stops.push(() => api.close());

    return { engines, runner, search, store, api, consumers, stateDirectory, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
};

/** `start`: the whole pipeline on this machine, until Ctrl-C. */
export const startCommand: Command = {
  name: 'start',
  summary: 'start DynamoDB Local, OpenSearch, the archive, every consumer and the HTTP API',
  usage: `npm start [-- flags]\n\nflag                   environment            default              meaning\n${settingsHelp()}`,
  async run(args) {
    const started = Date.now();
    const { settings } = resolveLocalSettings(args);
    const logLevel = logLevelOf(settings.logLevel);
    // Every line the runner writes is about a batch in trouble (failed, skipped, throttled).
    const runnerLines = logLevelShows('warn', logLevel);
    const stop = watchForStop();
    const pipeline = await startPipeline(settings, {
      onProgress: (message) => console.error(message),
      runner: {
        onLog: (message, details) => {
          if (runnerLines) console.error(`[runner] ${message} ${JSON.stringify(details)}`);
        },
      },
    }).catch((error: unknown) => {
      stop.dispose();
      throw error;
    });
    const { engines, api } = pipeline;
    void engines.engineExited.then((engine) => stop.request(`${engine} exited`, 1));
    // In memory it goes to the per-user registry of in-memory stacks instead.
    writeRuntimeFile(settings.dataDirectory, {
      pid: process.pid,
      dynamodbEndpoint: engines.dynamodbEndpoint,
      openSearchUrl: engines.openSearchUrl,
      s3Endpoint: engines.s3Endpoint,
      apiUrl: api.url,
      environment: { ...engines.handlerEnvironment },
      stateDirectory: pipeline.stateDirectory,
      ttlLedgerFile: engines.ttl.ledgerFile,
    });

    console.log(`pipeline ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`  dashboard       ${api.url}/`);
    console.log(`  HTTP API        ${api.url}  (GET /healthz, /pipeline, /search/orders?q=…)`);
    console.log(
      `  DynamoDB        ${engines.dynamodbEndpoint}  tables ${settings.tableName}, ${settings.aggregatesTableName}`,
    );
    const node = engines.openSearchNode;
    console.log(
      `  OpenSearch      ${engines.openSearchUrl}${node ? `  OpenSearch ${node.version}, a local node (JVM pid ${node.pid})` : ''}`,
    );
    console.log(`  archive (S3)    ${engines.s3Endpoint}  bucket ${settings.archiveBucket}`);
    console.log(
      `  consumers       ${pipeline.consumers.map((consumer) => consumer.definition.name).join(', ')}`,
    );
    console.log(
      settings.dataDirectory
        ? `  state           ${settings.dataDirectory}/  (Ctrl-C stops everything; a restart resumes)`
        : '  state           in memory: nothing survives a restart (Ctrl-C stops everything);\n' +
            '                  commands run with --data-dir "" use this stack',
    );
    console.log(
      `  logs            at ${logLevel} and above (--${localSettings.logLevel.flag} debug|info|warn|error): ` +
        'handlers as Powertools JSON on stdout, [runner] lines on stderr',
    );
    console.log('  demo traffic    npm run demo   (in another terminal)');

    const { reason, exitCode } = await stop.requested;
    console.log(`stopping (${reason})…`);
    try {
      // Gone first: while it stops, no command should take this stack for a running one.
      removeRuntimeFile(settings.dataDirectory);
      await pipeline.stop();
    } finally {
      stop.dispose();
    }
    console.log('stopped');
    return exitCode;
  },
};

/** What ends `npm start`: a signal, the death of the parent process, or a dead engine. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Watches for what should stop the stack, from before it starts: SIGINT, SIGTERM or
 * SIGHUP (a group Ctrl-C reaches this process alone, the JVMs run in groups of their own),
 * and the parent's death (this process is re-parented), so an `npm start` whose npm was
 * killed does not run on. Later signals while stopping are ignored: stopping is under way.
 */
const watchForStop = () => {
  let request: (reason: string, exitCode: number) => void = () => {};
  const requested = new Promise<{ reason: string; exitCode: number }>((resolve) => {
    request = (reason, exitCode) => resolve({ reason, exitCode });
  });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) console.error(`${signal}: already stopping…`);
    stopping = true;
    request(signal, 0);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  const parent = process.ppid;
  const parentWatch = setInterval(() => {
    if (process.ppid !== parent) request(`parent process ${parent} exited`, 1);
  }, 500);
  // The parent may have taken the other end of stdout with it: stopping goes on regardless.
  const ignore = () => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);
  return {
    requested,
    request,
    dispose: () => {
      clearInterval(parentWatch);
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    },
  };
};
