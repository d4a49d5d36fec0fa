import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a running `npm start` says how to reach it, so other commands can find it. */
export interface RuntimeFile {
  readonly pid: number;
  readonly dynamodbEndpoint: string;
  readonly openSearchUrl: string;
  readonly s3Endpoint: string;
  readonly apiUrl?: string;
  readonly environment: Record<string, string>;
}

const fileOf = (dataDirectory: string) => join(dataDirectory, 'runtime.json');

/** Records how to reach the running stack. */
export const writeRuntimeFile = (dataDirectory: string, runtime: RuntimeFile): void => {
  mkdirSync(dataDirectory, { recursive: true });
  writeFileSync(fileOf(dataDirectory), JSON.stringify(runtime, null, 2));
};

/** Reads the running stack's endpoints, or `undefined` when none is running. */
export const readRuntimeFile = (dataDirectory: string): RuntimeFile | undefined => {
  try {
    const runtime = JSON.parse(readFileSync(fileOf(dataDirectory), 'utf8')) as RuntimeFile;
    process.kill(runtime.pid, 0);
    return runtime;
  } catch {
    return undefined;
  }
};

/** Removes the runtime file when the stack stops. */
export const removeRuntimeFile = (dataDirectory: string): void => {
  rmSync(fileOf(dataDirectory), { force: true });
};
