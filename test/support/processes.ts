import { type ChildProcess, spawn } from 'node:child_process';

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
