import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DataDirectoryLockedError } from '../src/errors.js';
import { dataDirectoryLockFile, lockDataDirectory, startLocalEngines } from '../src/stack.js';

const directories: string[] = [];
const freshDirectory = () => {
  const directory = mkdtempSync(join(tmpdir(), 'stack-lock-'));
  directories.push(directory);
  return directory;
};
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** The PID of a process that has exited, as a SIGKILLed stack leaves it in its lock. */
const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => child.once('spawn', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return child.pid as number;
};

const settingsOn = (dataDirectory: string) => ({
  dataDirectory,
  // The run's engines, so only the archive, the TTL process and the lock are this stack's.
  dynamodbEndpoint: inject('dynamodbEndpoint'),
  openSearchUrl: inject('opensearchUrl'),
  tableName: `lock-main-${randomUUID()}`,
  aggregatesTableName: `lock-aggregates-${randomUUID()}`,
  archiveBucket: 'lock-archive',
  archivePrefix: 'expired',
});

describe('one stack per data directory', () => {
  it('refuses a second stack on the same directory, naming the running PID, until the first stops', async () => {
    const directory = freshDirectory();
    const first = await startLocalEngines(settingsOn(directory));
    try {
      expect(readFileSync(dataDirectoryLockFile(directory), 'utf8').split('\n')[0]).toBe(
        String(process.pid),
      );
      const refused = await startLocalEngines(settingsOn(directory)).catch(
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(DataDirectoryLockedError);
      expect(refused).toMatchObject({
        code: 'local.dataDirectoryLocked',
        dataDirectory: directory,
        pid: process.pid,
      });
      expect((refused as Error).message).toContain(`(PID ${process.pid})`);
    } finally {
      await first.stop();
    }
    expect(existsSync(dataDirectoryLockFile(directory))).toBe(false);
    const second = await startLocalEngines(settingsOn(directory));
    await second.stop();
  });

  it('takes over a lock left by a killed process', async () => {
    const directory = freshDirectory();
    writeFileSync(dataDirectoryLockFile(directory), `${await deadPid()}\n`);

    const engines = await startLocalEngines(settingsOn(directory));

    expect(readFileSync(dataDirectoryLockFile(directory), 'utf8').trim()).toBe(String(process.pid));
    await engines.stop();
    expect(existsSync(dataDirectoryLockFile(directory))).toBe(false);
  });

  it('takes over a lock torn before its PID was written', async () => {
    const directory = freshDirectory();
    writeFileSync(dataDirectoryLockFile(directory), '');
    const lock = await lockDataDirectory(directory);
    expect(readFileSync(lock.file, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it('leaves alone a lock that another process took after this one released', async () => {
    const directory = freshDirectory();
    const lock = await lockDataDirectory(directory);
    writeFileSync(lock.file, '1\n');
    lock.release();
    expect(readFileSync(lock.file, 'utf8')).toBe('1\n');
  });

  it("waits for a dead stack's engines to exit before taking its lock over", async () => {
    const directory = freshDirectory();
    const engine = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1500)'], {
      stdio: 'ignore',
    });
    await new Promise((resolve) => engine.once('spawn', resolve));
    const engineExited = new Promise<number>((resolve) =>
      engine.once('exit', () => resolve(Date.now())),
    );
    writeFileSync(dataDirectoryLockFile(directory), `${await deadPid()}\nengine ${engine.pid}\n`);

    const lock = await lockDataDirectory(directory);

    expect(Date.now()).toBeGreaterThanOrEqual(await engineExited);
    lock.recordEngine(4_194_304);
    expect(readFileSync(lock.file, 'utf8')).toBe(`${process.pid}\nengine 4194304\n`);
    lock.release();
  });
});
