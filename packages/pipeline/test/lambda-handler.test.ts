import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { processBatch } from '@pipeline/streams';
import { insertRecord, orderItem, streamEvent, userItem } from '@pipeline/testing';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BATCH_ITEM_FAILURES_METRIC,
  lambdaHandler,
  METRICS_NAMESPACE,
} from '../src/runtime-config.js';

const SERVICE = 'test-consumer';

/** A Lambda context as the runtime hands it to a Node.js handler. */
const lambdaContext = (awsRequestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'PipelineTest-TestConsumer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:PipelineTest-TestConsumer',
  memoryLimitInMB: '512',
  awsRequestId,
  logGroupName: '/aws/lambda/PipelineTest-TestConsumer',
  logStreamName: '2024/05/01/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

interface EmfBlob {
  readonly _aws: {
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

// Powertools writes through a Console bound to process.stdout and process.stderr (warnings
// and errors), so every line it prints, log or EMF metric, passes through their write.
let lines: Record<string, unknown>[];
const capture = (chunk: string | Uint8Array): boolean => {
  for (const line of String(chunk).split('\n')) {
    if (line.trim().startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  }
  return true;
};
beforeEach(() => {
  lines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const tools = () => ({
  logger: new Logger({ serviceName: SERVICE, logLevel: 'INFO' }),
  metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE }),
});

const logLines = () => lines.filter((line) => line._aws === undefined);
const emfBlobs = () => lines.filter((line): line is EmfBlob => line._aws !== undefined);

describe('lambdaHandler', () => {
  it('puts the request id on every line the stream processor logs, and counts what it reported', async () => {
    const { logger, metrics } = tools();
    const failing = [insertRecord(orderItem()), insertRecord(userItem())];
    const event = streamEvent(insertRecord(orderItem()), ...failing, insertRecord(orderItem()));
    const failed = new Set(failing.map((record) => record.dynamodb!.SequenceNumber!));
    const handler = lambdaHandler({ logger, metrics }, (batch) =>
      processBatch(
        batch,
        (changes) => ({
          failures: changes
            .filter((change) => failed.has(change.sequenceNumber))
            .map((change) => ({ sequenceNumber: change.sequenceNumber, error: new Error('sink') })),
        }),
        { logger },
      ),
    );

    const response = await handler(event, lambdaContext('req-7f3a'));

    // Lambda re-delivers everything after the lowest failure, so that one is all it reports.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: [...failed].sort()[0] }]);
    const logged = logLines();
    expect(logged.map((line) => line.message)).toContain('stream record failed');
    for (const line of logged) expect(line.function_request_id).toBe('req-7f3a');
    const blobs = emfBlobs();
    expect(blobs).toHaveLength(1);
    const [blob] = blobs;
    expect(blob![BATCH_ITEM_FAILURES_METRIC]).toBe(response.batchItemFailures.length);
    expect(blob!.service).toBe(SERVICE);
    expect(blob!._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['service']],
      Metrics: [{ Name: BATCH_ITEM_FAILURES_METRIC, Unit: 'Count' }],
    });
  });

  it('counts every identifier the response names', async () => {
    const { logger, metrics } = tools();
    const batchItemFailures = ['101', '102', '103'].map((itemIdentifier) => ({ itemIdentifier }));
    const handler = lambdaHandler({ logger, metrics }, async () => ({ batchItemFailures }));

    await handler(streamEvent(), lambdaContext('req-0'));

    expect(emfBlobs().map((blob) => blob[BATCH_ITEM_FAILURES_METRIC])).toEqual([3]);
  });

  it('publishes a zero failure count for a clean batch, so the alarm sees every invocation', async () => {
    const { logger, metrics } = tools();
    const handler = lambdaHandler({ logger, metrics }, async () => ({ batchItemFailures: [] }));

    await handler(streamEvent(insertRecord(orderItem())), lambdaContext('req-1'));

    expect(emfBlobs().map((blob) => blob[BATCH_ITEM_FAILURES_METRIC])).toEqual([0]);
  });

  it('takes the next invocation request id, not the first', async () => {
    const { logger, metrics } = tools();
    const handler = lambdaHandler({ logger, metrics }, async () => {
      logger.info('batch applied');
      return { batchItemFailures: [] };
    });

    await handler(streamEvent(), lambdaContext('req-first'));
    await handler(streamEvent(), lambdaContext('req-second'));

    expect(logLines().map((line) => line.function_request_id)).toEqual(['req-first', 'req-second']);
  });

  it('passes the context to the consumer, which budgets its time by it', async () => {
    const { logger, metrics } = tools();
    const seen: (Context | undefined)[] = [];
    const handler = lambdaHandler({ logger, metrics }, async (_event, context) => {
      seen.push(context);
      return { batchItemFailures: [] };
    });
    const context = lambdaContext('req-2');

    await handler(streamEvent(), context);
    await handler(streamEvent());

    expect(seen).toEqual([context, undefined]);
  });

  it('runs without a context, as the local runner calls it, and logs without a request id', async () => {
    const { logger, metrics } = tools();
    const handler = lambdaHandler({ logger, metrics }, async () => {
      logger.info('batch applied');
      return { batchItemFailures: [{ itemIdentifier: '1' }] };
    });

    await handler(streamEvent());

    expect(logLines()).toHaveLength(1);
    expect(logLines()[0]!.function_request_id).toBeUndefined();
    expect(emfBlobs()[0]![BATCH_ITEM_FAILURES_METRIC]).toBe(1);
  });

  it('still publishes the metrics a failing consumer stored, and rethrows its error', async () => {
    const { logger, metrics } = tools();
    const handler = lambdaHandler({ logger, metrics }, async () => {
      metrics.addMetric('RecordsDecoded', 'Count', 3);
      throw new Error('sink unreachable');
    });

    await expect(handler(streamEvent(), lambdaContext('req-3'))).rejects.toThrow(
      'sink unreachable',
    );

    const blobs = emfBlobs();
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.RecordsDecoded).toBe(3);
    expect(blobs[0]![BATCH_ITEM_FAILURES_METRIC]).toBeUndefined();
  });
});
