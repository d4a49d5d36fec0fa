import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  FailureBucket,
  FileQueue,
  LocalTtlProcess,
  localAwsClientConfig,
  type OnFailureMessage,
  replayFailedBatch,
  ttlLedgerFile,
} from '@pipeline/local';
import { mainTable } from '@pipeline/model';
import { EnvVar, mappingFunction, mappingOf, mappings } from '@pipeline/pipeline';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { loadConsumers } from '../consumers.js';
import { readRuntimeFile } from '../runtime-file.js';
import { localSettings } from '../settings.js';

/** `replay`: re-delivers the records named by on-failure messages, from the stream. */
export const replayCommand: Command = {
  name: 'replay',
  summary: "re-read a DLQ'd batch from the stream and re-invoke its consumer",
  usage: `npm run pipeline -- replay --consumer <name> [--queue-url <sqs-url> | --bucket <name> [--mapping-id <uuid>]] [--data-dir .local]

<name> is a mapping (sync-search, aggregates-and-archive) or a consumer, which stands for
the mapping that runs it. Locally it reads the running stack's on-failure queue
(<data-dir>/runner/dlq/<mapping>) and re-invokes the mapping in-process against the
running engines. With --queue-url it reads
the consumer's SQS DLQ in AWS and runs the consumer's handler here with the environment
you give it (the same variables the function has: TABLE_NAME, OPENSEARCH_URL, ...).
With --bucket it reads a mapping's S3 on-failure destination (onFailure: 'bucket'), whose
objects hold the records themselves, so they replay at any time; --mapping-id is the event
source mapping's UUID in AWS, and the mapping's name locally (the default).
A message is deleted only after every one of its records was delivered. A queue message
only names its records: those older than the stream's 24-hour retention are gone.`,
  async run(args) {
    const { values: flags } = parseCommandArgs(args, {
      consumer: { type: 'string' },
      'queue-url': { type: 'string' },
      bucket: { type: 'string' },
      'mapping-id': { type: 'string' },
    });
    const values = {
      ...flags,
      'data-dir':
        flags['data-dir'] ??
        process.env[localSettings.dataDirectory.env] ??
        localSettings.dataDirectory.default,
    };
    if (!values.consumer) {
      console.error(this.usage);
      return 2;
    }
    // A DLQ belongs to a mapping; a consumer's name stands for the mapping that runs it.
    const definition = mappingFunction(
      mappings.find((mapping) => mapping.name === values.consumer) ?? mappingOf(values.consumer),
    );
    const queueUrl = values['queue-url'];
    let streams: DynamoDBStreamsClient;
    let environment: Record<string, string>;
    let messages: { id: string; body: OnFailureMessage; remove: () => Promise<void> }[];
    let ttlDeletions: LocalTtlProcess | undefined;
    const bucket = values.bucket;
    if (bucket) {
      // An S3 destination keeps each batch's records, so no stream is read.
      const runtime = queueUrl ? undefined : readRuntimeFile(values['data-dir']);
      const s3Endpoint = runtime?.environment[EnvVar.s3Endpoint];
      const s3 = new S3Client(
        s3Endpoint ? { ...localAwsClientConfig(s3Endpoint), forcePathStyle: true } : {},
      );
      const failures = new FailureBucket({
        s3,
        bucket,
        mappingId: values['mapping-id'] ?? definition.name,
      });
      streams = new DynamoDBStreamsClient({});
      environment = runtime?.environment ?? {};
      messages = (await failures.list()).map((failure) => ({
        id: failure.key,
        body: failure.body,
        remove: () => failures.delete(failure.key),
      }));
    } else if (queueUrl) {
      streams = new DynamoDBStreamsClient({});
      environment = {};
      const sqs = new SQSClient({});
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      messages = (received.Messages ?? []).map((message) => ({
        id: message.MessageId ?? '',
        body: JSON.parse(message.Body ?? '{}') as OnFailureMessage,
        remove: async () => {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        },
      }));
    } else {
      const runtime = readRuntimeFile(values['data-dir']);
      if (!runtime) {
        console.error(
          `no local pipeline is running with data directory ${values['data-dir']}; start it with npm start`,
        );
        return 1;
      }
      streams = new DynamoDBStreamsClient(localAwsClientConfig(runtime.dynamodbEndpoint));
      environment = runtime.environment;
      // Read-only here: it recognises the expiries the running stack's TTL process made.
      ttlDeletions = new LocalTtlProcess({
        client: new DynamoDBClient(localAwsClientConfig(runtime.dynamodbEndpoint)),
        tableName: environment[EnvVar.tableName] ?? '',
        attribute: mainTable.timeToLiveAttribute,
        keyAttributes: [mainTable.partitionKey.name, mainTable.sortKey.name],
        ledgerFile: ttlLedgerFile(values['data-dir']),
      });
      const queue = new FileQueue(join(values['data-dir'], 'runner', 'dlq', definition.name));
      messages = queue
        .receive()
        .map((message) => ({ ...message, remove: async () => queue.delete(message.id) }));
    }
    const [consumer] = await loadConsumers(environment, [definition]);
    try {
      let failed = 0;
      for (const message of messages) {
        const result = await replayFailedBatch(streams, message.body, consumer!, ttlDeletions);
        const info = message.body.DDBStreamBatchInfo;
        if (result.failedAt) {
          failed++;
          console.log(
            `${message.id}: failed again at ${result.failedAt} (${result.reason}); kept in the queue`,
          );
        } else {
          await message.remove();
          console.log(
            `${message.id}: replayed ${result.delivered} of ${info.batchSize} records (${result.read} read from ${info.shardId})`,
          );
        }
      }
      console.log(`${messages.length - failed} replayed, ${failed} failed`);
      streams.destroy();
      return failed > 0 ? 1 : 0;
    } finally {
      await consumer!.close();
    }
  },
};
