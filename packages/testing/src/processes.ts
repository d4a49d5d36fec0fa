import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Runs an ESM TypeScript snippet in a separate Node process and resolves with the first
 * line it prints (a port, a pid), for tests that kill the process that started an engine.
 */
export const startReportingScript = async (
  script: string,
): Promise<{ readonly child: ChildProcess; readonly reported: string }> => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const reported = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', () => reject(new Error('the script exited before reporting')));
  });
  return { child, reported };
};

const statOf = (pid: number): { ppid: number; pgid: number; state: string } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in parentheses, may hold spaces; the fields after it do not.
    const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(ppid), pgid: Number(pgid), state: state ?? '' };
  } catch {
    return undefined;
  }
};

/** Whether a process runs: it exists and is not a zombie waiting to be reaped. */
export const processAlive = (pid: number): boolean => {
  const stat = statOf(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
};

/** The process group of a process, from /proc (Linux); `undefined` once it is gone. */
export const processGroupOf = (pid: number): number | undefined => statOf(pid)?.pgid;

/** The live processes descended from `root`, itself included, from /proc (Linux). */
export const processTree = (root: number): number[] => {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = statOf(pid);
    if (!stat) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    if (processAlive(pid)) tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
};
