import type { OnFailureMessage } from '@pipeline/local';
import { vi } from 'vitest';

/** What a command run in this process printed, as {@link captureOutput} collects it. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
}

/**
 * Collects what the console and the process streams are given, instead of printing it,
 * until `vi.restoreAllMocks()` (which {@link isolateEnvironment}'s restore calls).
 */
export const captureOutput = (): CapturedOutput => {
  const output: CapturedOutput = { stdout: '', stderr: '' };
  const log =
    (stream: keyof CapturedOutput) =>
    (...args: unknown[]) => {
      output[stream] += `${args.map(String).join(' ')}\n`;
    };
  const write = (stream: keyof CapturedOutput) => (chunk: unknown) => {
    output[stream] += String(chunk);
    return true;
  };
  vi.spyOn(console, 'log').mockImplementation(log('stdout'));
  vi.spyOn(console, 'error').mockImplementation(log('stderr'));
  vi.spyOn(process.stdout, 'write').mockImplementation(write('stdout'));
  vi.spyOn(process.stderr, 'write').mockImplementation(write('stderr'));
  return output;
};

/**
 * Clears the named environment variables for a test; the function it returns puts them
 * back and ends {@link captureOutput}.
 */
export const isolateEnvironment = (names: readonly string[]): (() => void) => {
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  for (const name of names) delete process.env[name];
  return () => {
    vi.restoreAllMocks();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
};

/** An on-failure message as Lambda writes one, for the batch of `shardId` from `start` to `end`. */
export const onFailureMessage = (input: {
  readonly timestamp: string;
  readonly shardId?: string;
  readonly start: string;
  readonly end: string;
  readonly batchSize?: number;
  readonly condition?: OnFailureMessage['requestContext']['condition'];
  readonly arrival?: string;
}): OnFailureMessage => ({
  requestContext: {
    requestId: `request-${input.start}`,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sync-search',
    condition: input.condition ?? 'RetryAttemptsExhausted',
    approximateInvokeCount: 3,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: input.timestamp,
  DDBStreamBatchInfo: {
    shardId: input.shardId ?? 'shardId-00000001',
    startSequenceNumber: input.start,
    endSequenceNumber: input.end,
    approximateArrivalOfFirstRecord: input.arrival ?? '2026-03-01T11:59:58Z',
    approximateArrivalOfLastRecord: input.arrival ?? '2026-03-01T11:59:59Z',
    batchSize: input.batchSize ?? 2,
    streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/main/stream/2026-03-01T00:00:00.000',
  },
});
