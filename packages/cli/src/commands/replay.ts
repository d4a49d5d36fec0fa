import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  LocalTtlProcess,
  localAwsClientConfig,
  replayFailedBatch,
  ttlLedgerFile,
} from '@pipeline/local';
import { mainTable } from '@pipeline/model';
import { EnvVar, mappingFunction } from '@pipeline/pipeline';
import { DATA_DIR_USAGE, dataDirectoryOf, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { loadConsumers } from '../consumers.js';
import {
  FAILURE_SOURCE_OPTIONS,
  FAILURE_SOURCE_USAGE,
  mappingArgument,
  readFailureSource,
} from '../failures.js';

/** `replay`: re-delivers the records named by on-failure messages, from the stream. */
export const replayCommand: Command = {
  name: 'replay',
  summary: "re-read a DLQ'd batch from the stream and re-invoke its consumer",
  usage: `npm run pipeline -- replay --consumer <name> [--queue-url <sqs-url> | --bucket <name> [--mapping-id <uuid>]] [--data-dir .local]

Locally it reads the running stack's on-failure queue (<data-dir>/runner/dlq/<mapping>; for
--data-dir "", the one in-memory stack's) and re-invokes the mapping against the running
engines. With --queue-url it reads the consumer's SQS DLQ in AWS and runs the consumer's
handler here with the environment you give it (the same variables the function has:
TABLE_NAME, OPENSEARCH_URL, ...). With --bucket it reads a mapping's S3 on-failure
destination (onFailure: 'bucket'), whose objects hold the records themselves, so they
replay at any time. \`dlq\` lists the messages first without touching them.
A message is deleted only after every one of its records was delivered. A queue message
only names its records: those older than the stream's 24-hour retention are gone.
${FAILURE_SOURCE_USAGE}
${DATA_DIR_USAGE}`,
  async run(args) {
    const { values } = parseCommandArgs(args, FAILURE_SOURCE_OPTIONS);
    const dataDirectory = dataDirectoryOf(args);
    // A DLQ belongs to a mapping; a consumer's name stands for the mapping that runs it.
    const mapping = mappingArgument(values.consumer);
    const definition = mappingFunction(mapping);
    const queueUrl = values['queue-url'];
    const local = !queueUrl && !values.bucket;
    const source = await readFailureSource({
      mapping,
      queueUrl,
      bucket: values.bucket,
      mappingId: values['mapping-id'],
      dataDirectory,
      peek: false,
    });
    const { runtime } = source;
    if (local && !runtime) {
      console.error(
        dataDirectory
          ? `no local pipeline is running with data directory ${dataDirectory}; start it with npm start`
          : 'no in-memory pipeline is running; start it with npm start -- --data-dir ""',
      );
      return 1;
    }
    // Only a queue message needs the stream, which is the local stack's when one runs.
    const streams = new DynamoDBStreamsClient(
      local && runtime ? localAwsClientConfig(runtime.dynamodbEndpoint) : {},
    );
    const environment = runtime?.environment ?? {};
    // Read-only here: it recognises the expiries the running stack's TTL process made.
    const ttlDeletions =
      local && runtime
        ? new LocalTtlProcess({
            client: new DynamoDBClient(localAwsClientConfig(runtime.dynamodbEndpoint)),
            tableName: environment[EnvVar.tableName] ?? '',
            attribute: mainTable.timeToLiveAttribute,
            keyAttributes: [mainTable.partitionKey.name, mainTable.sortKey.name],
            ledgerFile: runtime.ttlLedgerFile ?? ttlLedgerFile(dataDirectory),
          })
        : undefined;
    const [consumer] = await loadConsumers(environment, [definition]);
    try {
      let failed = 0;
      for (const message of source.messages) {
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
      console.log(`${source.messages.length - failed} replayed, ${failed} failed`);
      return failed > 0 ? 1 : 0;
    } finally {
      streams.destroy();
      await consumer!.close();
    }
  },
};
