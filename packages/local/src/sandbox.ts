/**
 * Lambda's execution environment, locally: a mapping's handler runs from the esbuild bundle
 * the CDK app deploys, in worker threads of its own ("sandboxes"), one invocation at a time
 * each, with the function's environment, heap limit and timeout.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type ConsumerDefinition, esbuildOptions } from '@pipeline/pipeline';
import type { StreamHandler } from '@pipeline/streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { LocalRuntimeError, type LocalRuntimeErrorCode } from './errors.js';

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Builds a handler module into one ESM bundle with the deployed functions' esbuild settings.
 * With a cache directory, a bundle whose every input file is unchanged since it was built
 * is copied from there instead of built again.
 *
 * @example
 * await bundleHandler({ entry: 'functions/sync-search.ts', outfile: '.local/bundles/sync-search/index.mjs', root });
 */
export const bundleHandler = async (options: {
  /** The handler module, relative to `root`. */
  readonly entry: string;
  readonly outfile: string;
  /** The repository root, where the entry's imports resolve. */
  readonly root: string;
  /** Where built bundles are kept, keyed by entry and settings, with their inputs' hashes. */
  readonly cacheDirectory?: string;
}): Promise<string> => {
  mkdirSync(dirname(options.outfile), { recursive: true });
  const esbuild = await import('esbuild');
  const settings = esbuildOptions(options.entry, options.outfile, options.root);
  const cached = options.cacheDirectory
    ? join(
        options.cacheDirectory,
        sha256(JSON.stringify({ ...settings, outfile: '', version: esbuild.version })),
      )
    : undefined;
  const inputsFile = cached && join(cached, 'inputs.json');
  if (cached && inputsFile && existsSync(inputsFile)) {
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8')) as [string, string][];
    const unchanged = inputs.every(([path, hash]) => {
      const file = join(options.root, path);
      return existsSync(file) && sha256(readFileSync(file)) === hash;
    });
    if (unchanged) {
      copyFileSync(join(cached, 'index.mjs'), options.outfile);
      copyFileSync(join(cached, 'index.mjs.map'), `${options.outfile}.map`);
      return options.outfile;
    }
  }
  const result = await esbuild.build({ ...settings, metafile: true });
  if (cached && inputsFile) {
    mkdirSync(cached, { recursive: true });
    copyFileSync(options.outfile, join(cached, 'index.mjs'));
    copyFileSync(`${options.outfile}.map`, join(cached, 'index.mjs.map'));
    const inputs = Object.keys(result.metafile.inputs)
      .filter((path) => !path.includes(':'))
      .map((path) => [path, sha256(readFileSync(join(options.root, path)))]);
    writeFileSync(`${inputsFile}.tmp`, JSON.stringify(inputs));
    renameSync(`${inputsFile}.tmp`, inputsFile);
  }
  return options.outfile;
};

// The sandbox's side: loads the bundle once (the cold start), then runs one invocation per
// message. A CommonJS script, since `eval` workers are scripts; the bundle is imported.
const SANDBOX_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const started = performance.now();
import(workerData.bundleUrl).then(
  (module) => {
    parentPort.postMessage({ type: 'ready', initMs: performance.now() - started });
    parentPort.on('message', async ({ id, event, context }) => {
      const deadline = Date.now() + context.remainingMs;
      const lambdaContext = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()) };
      const startMs = Date.now();
      try {
        const response = await module.handler(event, lambdaContext);
        parentPort.postMessage({ type: 'result', id, response, startMs, endMs: Date.now() });
      } catch (error) {
        parentPort.postMessage({ type: 'result', id, error: error instanceof Error ? error.name + ': ' + error.message : String(error), startMs, endMs: Date.now() });
      }
    });
  },
  (error) => parentPort.postMessage({ type: 'initError', error: String(error) }),
);
`;

type SandboxMessage =
  | { readonly type: 'ready'; readonly initMs: number }
  | { readonly type: 'initError'; readonly error: string }
  | {
      readonly type: 'result';
      readonly id: string;
      readonly response?: unknown;
      readonly error?: string;
      readonly startMs: number;
      readonly endMs: number;
    };

/** When a handler ran inside its sandbox, by the sandbox's own clock (the process's). */
export interface SandboxTiming {
  readonly startMs: number;
  readonly endMs: number;
}

const sandboxTimings = new WeakMap<object, SandboxTiming>();

/**
 * When the handler that took `event` started and returned inside its sandbox, so the
 * runner's stage breakdown can tell dispatch to the worker thread from the handler's work.
 *
 * @example
 * await pool.handler(event);
 * sandboxTimingOf(event); // { startMs, endMs }
 */
export const sandboxTimingOf = (event: object): SandboxTiming | undefined =>
  sandboxTimings.get(event);

/** Why an invocation failed in its sandbox; the sandbox is then discarded. */
export class SandboxError extends LocalRuntimeError {
  override readonly name = 'SandboxError';
  declare readonly code: Extract<LocalRuntimeErrorCode, `local.sandbox${string}`>;
  constructor(code: SandboxError['code'], message: string) {
    super(code, message);
  }
}

/** What a mapping's sandboxes did, as Lambda's metrics would show it. */
export interface SandboxStats {
  /** Sandboxes started, each with one module init. */
  readonly coldStarts: number;
  /** Module init of each cold start, in milliseconds, oldest first (the last 100). */
  readonly initMs: readonly number[];
  readonly timeouts: number;
  /** Sandboxes that died mid-invocation, such as on running out of heap. */
  readonly crashes: number;
  /** Sandboxes alive now. */
  readonly alive: number;
}

/** Options of {@link SandboxPool}. */
export interface SandboxPoolOptions {
  /** The bundle's path; it exports `handler`. */
  readonly bundle: string;
  /** The function's settings: `timeoutSeconds`, `memoryMiB` and its name. */
  readonly definition: ConsumerDefinition;
  /** The function's environment; the sandbox sees only this in `process.env`. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Invocation timeout.
   * @default the definition's timeoutSeconds
   */
  readonly timeoutMs?: number;
}

class Sandbox {
  readonly worker: Worker;
  readonly ready: Promise<number>;
  #pending:
    | {
        readonly id: string;
        readonly event: object;
        resolve(value: unknown): void;
        reject(error: Error): void;
      }
    | undefined;
  #dead = false;

  constructor(options: SandboxPoolOptions, onExit: (sandbox: Sandbox) => void) {
    this.worker = new Worker(SANDBOX_SCRIPT, {
      eval: true,
      workerData: { bundleUrl: pathToFileURL(options.bundle).href },
      env: { ...options.environment },
      resourceLimits: { maxOldGenerationSizeMb: options.definition.memoryMiB },
      stdout: false,
      stderr: false,
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (message: SandboxMessage) => {
        if (message.type === 'ready') resolve(message.initMs);
        else if (message.type === 'initError') {
          reject(new SandboxError('local.sandboxInit', `module init failed: ${message.error}`));
        } else if (message.id === this.#pending?.id) {
          const pending = this.#pending;
          this.#pending = undefined;
          sandboxTimings.set(pending.event, { startMs: message.startMs, endMs: message.endMs });
          if (message.error !== undefined) pending.reject(new Error(message.error));
          else pending.resolve(message.response);
        }
      });
      this.worker.on('error', (error) => {
        const crash = new SandboxError(
          'local.sandboxCrashed',
          `the sandbox died: ${error.message}`,
        );
        reject(crash);
        this.#pending?.reject(crash);
        this.#pending = undefined;
      });
      this.worker.on('exit', (code) => {
        this.#dead = true;
        const crash = new SandboxError('local.sandboxCrashed', `the sandbox exited with ${code}`);
        reject(crash);
        this.#pending?.reject(crash);
        this.#pending = undefined;
        onExit(this);
      });
    });
    // A failed init is reported by invoke(); it must not be an unhandled rejection here.
    this.ready.catch(() => {});
  }

  get dead(): boolean {
    return this.#dead;
  }

  invoke(event: DynamoDBStreamEvent, context: Record<string, unknown>): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      this.#pending = { id, event, resolve, reject };
      this.worker.postMessage({ id, event, context });
    });
  }
}

/**
 * The sandboxes of one function. An invocation takes an idle sandbox, or starts one (a
 * cold start: the bundle's module init runs once per sandbox, and is timed). An invocation
 * that outlives the timeout ends: its sandbox is terminated and discarded, so the batch
 * counts as failed and the next invocation starts cold, as in Lambda. A sandbox whose heap
 * outgrows `memoryMiB` dies, failing its invocation.
 *
 * @example
 * const pool = new SandboxPool({ bundle, definition, environment });
 * runner consumers: [{ definition, handler: pool.handler }]
 * await pool.close();
 */
export class SandboxPool {
  readonly #idle: Sandbox[] = [];
  readonly #all = new Set<Sandbox>();
  readonly #initMs: number[] = [];
  #coldStarts = 0;
  #timeouts = 0;
  #crashes = 0;
  #closed = false;

  constructor(private readonly options: SandboxPoolOptions) {}

  /** Invokes the function in a sandbox, as Lambda invokes it. */
  readonly handler: StreamHandler = async (event) => {
    if (this.#closed) throw new SandboxError('local.sandboxCrashed', 'the sandboxes are closed');
    const sandbox = await this.#take();
    const { definition } = this.options;
    const timeoutMs = this.options.timeoutMs ?? definition.timeoutSeconds * 1000;
    const context = {
      awsRequestId: randomUUID(),
      functionName: definition.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${definition.name}`,
      memoryLimitInMB: String(definition.memoryMiB),
      logGroupName: `/aws/lambda/${definition.name}`,
      logStreamName: 'local',
      callbackWaitsForEmptyEventLoop: true,
      remainingMs: timeoutMs,
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const response = await Promise.race([
        sandbox.invoke(event, context),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.#timeouts++;
            this.#discard(sandbox);
            reject(
              new SandboxError(
                'local.sandboxTimeout',
                `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
              ),
            );
          }, timeoutMs);
        }),
      ]);
      this.#release(sandbox);
      return response;
    } catch (error) {
      if (error instanceof SandboxError && error.code === 'local.sandboxCrashed') this.#crashes++;
      if (!sandbox.dead && !(error instanceof SandboxError)) this.#release(sandbox);
      else this.#discard(sandbox);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };

  async #take(): Promise<Sandbox> {
    const idle = this.#idle.pop();
    if (idle) return idle;
    const sandbox = new Sandbox(this.options, (exited) => {
      this.#all.delete(exited);
      const index = this.#idle.indexOf(exited);
      if (index >= 0) this.#idle.splice(index, 1);
    });
    this.#all.add(sandbox);
    this.#coldStarts++;
    const initMs = await sandbox.ready;
    this.#initMs.push(initMs);
    if (this.#initMs.length > 100) this.#initMs.shift();
    return sandbox;
  }

  #release(sandbox: Sandbox): void {
    if (this.#closed || sandbox.dead) this.#discard(sandbox);
    else this.#idle.push(sandbox);
  }

  #discard(sandbox: Sandbox): void {
    this.#all.delete(sandbox);
    const index = this.#idle.indexOf(sandbox);
    if (index >= 0) this.#idle.splice(index, 1);
    void sandbox.worker.terminate();
  }

  stats(): SandboxStats {
    return {
      coldStarts: this.#coldStarts,
      initMs: [...this.#initMs],
      timeouts: this.#timeouts,
      crashes: this.#crashes,
      alive: this.#all.size,
    };
  }

  /** Terminates every sandbox. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#idle.length = 0;
    await Promise.all([...this.#all].map((sandbox) => sandbox.worker.terminate()));
    this.#all.clear();
  }
}
