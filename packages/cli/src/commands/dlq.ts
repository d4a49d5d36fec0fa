import { DATA_DIR_USAGE, dataDirectoryOf, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import {
  FAILURE_SOURCE_OPTIONS,
  FAILURE_SOURCE_USAGE,
  type FailureMessage,
  MAX_PEEK_ROUNDS,
  mappingArgument,
  readFailureSource,
} from '../failures.js';
import { formatTable, isoSeconds } from '../table.js';

/** One on-failure message as `dlq --json` prints it: the batch it names, flat. */
export interface DlqEntry {
  readonly id: string;
  readonly timestamp: string;
  readonly condition: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly approximateInvokeCount: number;
  readonly streamArn: string;
  readonly functionArn: string;
  readonly requestId: string;
}

/**
 * The entries of on-failure messages, oldest message first (then by shard and sequence
 * number, so that messages of one instant keep the stream's order).
 *
 * @example
 * dlqEntries(messages)[0]?.condition // 'RetryAttemptsExhausted'
 */
export const dlqEntries = (messages: readonly Pick<FailureMessage, 'id' | 'body'>[]): DlqEntry[] =>
  messages
    .map(({ id, body }) => {
      const info = body.DDBStreamBatchInfo;
      return {
        id,
        timestamp: body.timestamp,
        condition: body.requestContext.condition,
        shardId: info.shardId,
        startSequenceNumber: info.startSequenceNumber,
        endSequenceNumber: info.endSequenceNumber,
        batchSize: info.batchSize,
        approximateArrivalOfFirstRecord: info.approximateArrivalOfFirstRecord,
        approximateArrivalOfLastRecord: info.approximateArrivalOfLastRecord,
        approximateInvokeCount: body.requestContext.approximateInvokeCount,
        streamArn: info.streamArn,
        functionArn: body.requestContext.functionArn,
        requestId: body.requestContext.requestId,
      };
    })
    .sort(
      (a, b) =>
        Date.parse(a.timestamp) - Date.parse(b.timestamp) ||
        a.shardId.localeCompare(b.shardId) ||
        a.startSequenceNumber.length - b.startSequenceNumber.length ||
        a.startSequenceNumber.localeCompare(b.startSequenceNumber),
    );

/** The rows `dlq` prints, under a header. */
export const dlqTable = (entries: readonly DlqEntry[]): string =>
  formatTable(
    ['time', 'records arrived', 'shard', 'sequence range', 'batch', 'condition', 'id'],
    entries.map((entry) => [
      isoSeconds(entry.timestamp),
      `${isoSeconds(entry.approximateArrivalOfFirstRecord)}..${isoSeconds(entry.approximateArrivalOfLastRecord)}`,
      entry.shardId,
      `${entry.startSequenceNumber}..${entry.endSequenceNumber}`,
      String(entry.batchSize),
      entry.condition,
      entry.id,
    ]),
  );

/** `dlq`: lists a mapping's on-failure messages without consuming them. */
export const dlqCommand: Command = {
  name: 'dlq',
  summary: "list a mapping's on-failure messages (shard, sequence range, size, condition, time)",
  usage: `npm run pipeline -- dlq --consumer <name> [--queue-url <sqs-url> | --bucket <name> [--mapping-id <uuid>]] [--json] [--data-dir .local]

Lists every on-failure message of a mapping, oldest first under a header, then the count:
when Lambda (or the local runner) gave up on the batch, when its records arrived on the
stream, the shard, the sequence range, the batch size and the condition
(RetryAttemptsExhausted or RecordAgeExceeded). It consumes nothing: \`replay\` re-delivers them.
Locally it reads the on-failure queue of the stack of --data-dir (<data-dir>/runner/dlq/<mapping>,
which is kept while the stack is stopped), or of the one in-memory stack running for
--data-dir "". With --queue-url it reads the SQS queue in AWS, with a visibility timeout of 0
so the messages stay where they are (at most ${10 * MAX_PEEK_ROUNDS} messages); with --bucket the mapping's
S3 on-failure destination.
${FAILURE_SOURCE_USAGE}
  --json                 one JSON object per message on stdout, nothing else (the count goes to stderr)
${DATA_DIR_USAGE}
Environment: with --queue-url or --bucket against AWS, the SDK's usual AWS_REGION and credentials.`,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...FAILURE_SOURCE_OPTIONS,
      json: { type: 'boolean' },
    });
    const mapping = mappingArgument(values.consumer);
    const source = await readFailureSource({
      mapping,
      queueUrl: values['queue-url'],
      bucket: values.bucket,
      mappingId: values['mapping-id'],
      dataDirectory: dataDirectoryOf(args),
      peek: true,
    });
    const entries = dlqEntries(source.messages);
    const summary = `${entries.length} on-failure message(s) of ${mapping.name} in ${source.location}\n`;
    if (values.json) {
      for (const entry of entries) process.stdout.write(`${JSON.stringify(entry)}\n`);
      process.stderr.write(summary);
    } else {
      if (entries.length > 0) process.stdout.write(`${dlqTable(entries)}\n`);
      process.stdout.write(summary);
    }
    return 0;
  },
};
