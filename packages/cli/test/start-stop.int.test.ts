import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive, processGroupOf, processTree } from '@pipeline/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { RuntimeFile } from '../src/runtime-file.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const directories: string[] = [];
const started: ChildProcess[] = [];
afterAll(() => {
  // Whatever a failed test left running goes with its group.
  for (const child of started) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const freshDirectory = () => {
  const directory = mkdtempSync(join(tmpdir(), 'start-stop-'));
  directories.push(directory);
  return directory;
};

const viaTsx = (dataDirectory: string) => [
  process.execPath,
  tsxCli,
  'packages/cli/src/main.ts',
  'start',
  '--data-dir',
  dataDirectory,
  '--port',
  '0',
];
const viaNpm = (dataDirectory: string) => [
  'npm',
  'start',
  '--',
  '--data-dir',
  dataDirectory,
  '--port',
  '0',
];

const until = async (condition: () => boolean, timeoutMs: number, what: () => string) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

interface StartedStack {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit code, or the signal, once the process and its pipes closed. */
  readonly closed: Promise<number | string>;
}

/** Spawns a command in a process group of its own, as a terminal runs it. */
const spawnGroup = (command: readonly string[]): StartedStack => {
  const [file, ...args] = command;
  const env = { ...process.env };
  delete env.PIPELINE_DATA_DIR;
  const child = spawn(file as string, args, {
    cwd: repositoryRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const closed = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { child, output: () => output, closed };
};

const runtimeFile = (directory: string) => join(directory, 'runtime.json');
const lockFile = (directory: string) => join(directory, 'stack.lock');

/**
 * Starts a stack the way `launch` runs it on `directory` (a fresh one unless told), and waits
 * until it is ready: its runtime file names a live PID.
 */
const startStack = async (
  launch: (directory: string) => readonly string[],
  directory = freshDirectory(),
) => {
  const stack = spawnGroup(launch(directory));
  let exited = false;
  void stack.closed.then(() => {
    exited = true;
  });
  await until(
    () => exited || (existsSync(runtimeFile(directory)) && stack.output().includes('ready')),
    240_000,
    () => `the stack to be ready:\n${stack.output()}`,
  );
  if (exited) throw new Error(`the stack exited while starting:\n${stack.output()}`);
  const runtime = JSON.parse(readFileSync(runtimeFile(directory), 'utf8')) as RuntimeFile;
  const tree = processTree(stack.child.pid as number);
  return { ...stack, directory, runtime, tree };
};

const javaProcesses = (pids: readonly number[]) =>
  pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java';
    } catch {
      return false;
    }
  });

const allGone = (pids: readonly number[]) => () => pids.every((pid) => !processAlive(pid));

/** Waits until the stack printed that it stopped. */
const untilStopped = (stack: StartedStack) =>
  until(
    () => stack.output().includes('\nstopped'),
    90_000,
    () => `"stopped":\n${stack.output()}`,
  );

/** The stack left neither its runtime file nor its lock behind. */
const expectFilesReleased = (directory: string) => {
  expect(existsSync(runtimeFile(directory))).toBe(false);
  expect(existsSync(lockFile(directory))).toBe(false);
};

/** The stack stops for `reason` with every process of its tree, and releases its files. */
const expectCleanStop = async (stack: Awaited<ReturnType<typeof startStack>>, reason: string) => {
  await untilStopped(stack);
  await stack.closed;
  await until(
    allGone(stack.tree),
    10_000,
    () => `every process of the tree to exit: ${stack.tree.filter(processAlive).join(', ')}`,
  );
  expect(stack.output()).not.toContain('ECONNREFUSED');
  expectFilesReleased(stack.directory);
  expect(stack.output()).toContain(`stopping (${reason})`);
};

describe('npm start as a tree of real processes', () => {
  it('stops cleanly on SIGINT to its process group, refusing a second stack meanwhile', async () => {
    const stack = await startStack(viaTsx);
    // tsx, the Node process, DynamoDB Local and OpenSearch.
    const jvms = javaProcesses(stack.tree);
    expect(jvms).toHaveLength(2);
    expect(stack.tree).toContain(stack.runtime.pid);
    // The group's SIGINT reaches the Node process alone, which stops the JVMs last.
    expect(processGroupOf(stack.runtime.pid)).toBe(stack.child.pid);
    for (const jvm of jvms) expect(processGroupOf(jvm)).not.toBe(stack.child.pid);

    const second = spawnGroup(viaTsx(stack.directory));
    expect(await second.closed).toBe(1);
    expect(second.output()).toContain('DataDirectoryLockedError');
    expect(second.output()).toContain(`(PID ${stack.runtime.pid})`);
    const runtime = JSON.parse(readFileSync(runtimeFile(stack.directory), 'utf8'));
    expect(runtime.pid).toBe(stack.runtime.pid);

    process.kill(-(stack.child.pid as number), 'SIGINT');

    await expectCleanStop(stack, 'SIGINT');
  }, 400_000);

  it('stops cleanly on SIGTERM to npm alone', async () => {
    const stack = await startStack(viaNpm);
    expect(javaProcesses(stack.tree)).toHaveLength(2);

    process.kill(stack.child.pid as number, 'SIGTERM');

    await expectCleanStop(stack, 'SIGTERM');
  }, 400_000);

  it('takes the JVMs along when the Node process is SIGKILLed, and a restart takes its lock over', async () => {
    const killed = await startStack(viaTsx);
    const jvms = javaProcesses(killed.tree);
    expect(jvms).toHaveLength(2);

    process.kill(killed.runtime.pid, 'SIGKILL');

    await until(allGone(jvms), 10_000, () => `the JVMs ${jvms.filter(processAlive)} to exit`);
    await killed.closed;
    // The lock names the dead stack and the engines it waited for on takeover.
    const [holder, ...engines] = readFileSync(lockFile(killed.directory), 'utf8')
      .trim()
      .split('\n');
    expect(holder).toBe(String(killed.runtime.pid));
    expect(engines.sort()).toEqual(jvms.map((pid) => `engine ${pid}`).sort());

    // Act again: the parent of the Node process (tsx) dies, so nothing would stop it.
    const restarted = await startStack(viaTsx, killed.directory);
    expect(restarted.runtime.pid).not.toBe(killed.runtime.pid);
    process.kill(restarted.child.pid as number, 'SIGKILL');

    await expectCleanStop(restarted, `parent process ${restarted.child.pid} exited`);
  }, 600_000);

  it('stops the whole stack, exit code 1, when one of its JVMs is sent SIGTERM', async () => {
    const stack = await startStack(viaTsx);
    const [jvm] = javaProcesses(stack.tree);

    process.kill(jvm as number, 'SIGTERM');

    await untilStopped(stack);
    expect(await stack.closed).toBe(1);
    expect(stack.output()).toMatch(/stopping \((DynamoDB Local|OpenSearch) exited\)/);
    await until(allGone(stack.tree), 10_000, () => `every process of the tree to exit`);
    expectFilesReleased(stack.directory);
  }, 400_000);
});
