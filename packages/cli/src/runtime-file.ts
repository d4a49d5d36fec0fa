import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './args.js';

/** Where a running `npm start` says how to reach it, so other commands can find it. */
export interface RuntimeFile {
  readonly pid: number;
  readonly dynamodbEndpoint: string;
  readonly openSearchUrl: string;
  readonly s3Endpoint: string;
  readonly apiUrl?: string;
  readonly environment: Record<string, string>;
  /** The runner's checkpoints and on-failure queues: `<data-dir>/runner`, or a temporary directory in memory. */
  readonly stateDirectory?: string;
  /** The local TTL process's ledger, which `replay` reads to recognise expiries. */
  readonly ttlLedgerFile?: string;
}

/**
 * Where in-memory stacks (`--data-dir ""`) register, one `<pid>.json` each: a directory of
 * this user's under the system's temporary directory, outside any data directory, so that
 * commands run with `--data-dir ""` find them.
 *
 * @example
 * inMemoryRegistry() // '/tmp/ddb-stream-pipeline-1000/in-memory'
 */
export const inMemoryRegistry = (): string =>
  join(tmpdir(), `ddb-stream-pipeline-${process.getuid?.() ?? userInfo().username}`, 'in-memory');

const fileOf = (dataDirectory: string) =>
  dataDirectory
    ? join(dataDirectory, 'runtime.json')
    : join(inMemoryRegistry(), `${process.pid}.json`);

/** Records how to reach the running stack: in its data directory, or, in memory, in the registry. */
export const writeRuntimeFile = (dataDirectory: string, runtime: RuntimeFile): void => {
  const file = fileOf(dataDirectory);
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(runtime, null, 2));
};

/** A runtime file whose process is alive, or `undefined`. */
const liveRuntime = (file: string): RuntimeFile | undefined => {
  try {
    const runtime = JSON.parse(readFileSync(file, 'utf8')) as RuntimeFile;
    process.kill(runtime.pid, 0);
    return runtime;
  } catch {
    return undefined;
  }
};

/** Every in-memory stack of this user that is still running; files of dead ones are ignored. */
export const inMemoryStacks = (): RuntimeFile[] => {
  let names: string[];
  try {
    names = readdirSync(inMemoryRegistry());
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .sort()
    .flatMap((name) => liveRuntime(join(inMemoryRegistry(), name)) ?? []);
};

/**
 * Reads the running stack's endpoints, or `undefined` when none is running. With an empty
 * data directory it is the one in-memory stack running; several are refused with a
 * {@link UsageError} listing them, since nothing says which one is meant.
 *
 * @example
 * const runtime = readRuntimeFile('.local');
 */
export const readRuntimeFile = (dataDirectory: string): RuntimeFile | undefined => {
  if (dataDirectory) return liveRuntime(fileOf(dataDirectory));
  const stacks = inMemoryStacks();
  if (stacks.length > 1) {
    const list = stacks
      .map((stack) => `pid ${stack.pid}${stack.apiUrl ? ` (${stack.apiUrl})` : ''}`)
      .join(', ');
    throw new UsageError(
      `${stacks.length} in-memory stacks are running: ${list}; stop all but one, or give ` +
        "the stack's variables (TABLE_NAME, …) yourself",
      { code: 'cli.severalInMemoryStacks', flag: '--data-dir' },
    );
  }
  return stacks[0];
};

/** Removes the runtime file when the stack stops. */
export const removeRuntimeFile = (dataDirectory: string): void => {
  rmSync(fileOf(dataDirectory), { force: true });
};
