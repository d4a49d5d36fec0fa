import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { compareSequenceNumbers, matchesAnyFilter } from '@pipeline/streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { interpretResponse } from './batch-outcome.js';
import type { OnFailureMessage } from './failure-queue.js';
import { type TtlDeletions, toLambdaRecord } from './lambda-event.js';
import type { RunnerConsumer } from './runner.js';

/** The result of replaying one on-failure message. */
export interface ReplayResult {
  /** Records read back from the stream in the message's range. */
  readonly read: number;
  /** Records the consumer's filter let through and that were delivered. */
  readonly delivered: number;
  /** The first record that failed again, if any; nothing after it was delivered. */
  readonly failedAt?: string;
  readonly reason?: string;
}

/**
 * Reads the records named by an on-failure message (shard plus inclusive sequence range)
 * back from the stream, in the Lambda shape. Works while they are inside the stream's
 * 24-hour retention; older records are gone and the read comes back short.
 */
export const readFailedBatch = async (
  client: DynamoDBStreamsClient,
  message: OnFailureMessage,
  ttlDeletions?: TtlDeletions,
): Promise<DynamoDBRecord[]> => {
  const info = message.DDBStreamBatchInfo;
  let { ShardIterator: iterator } = await client.send(
    new GetShardIteratorCommand({
      StreamArn: info.streamArn,
      ShardId: info.shardId,
      ShardIteratorType: 'AT_SEQUENCE_NUMBER',
      SequenceNumber: info.startSequenceNumber,
    }),
  );
  const records: DynamoDBRecord[] = [];
  while (iterator) {
    const response = await client.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
    );
    if ((response.Records ?? []).length > 0) await ttlDeletions?.settled();
    for (const raw of response.Records ?? []) {
      const sequenceNumber = raw.dynamodb?.SequenceNumber ?? '';
      if (compareSequenceNumbers(sequenceNumber, info.endSequenceNumber) > 0) return records;
      records.push(toLambdaRecord(raw, info.streamArn, ttlDeletions));
    }
    // An open shard answers with no records once it is read to its end.
    if ((response.Records ?? []).length === 0) return records;
    iterator = response.NextShardIterator;
  }
  return records;
};

/**
 * Replays an on-failure message: takes its records from its payload (an S3 destination's
 * message), or else reads them from the stream, and invokes the
 * consumer's handler with them in batches of the consumer's size, through its filter.
 * Consumers are idempotent, so replaying records that partly succeeded before is safe.
 *
 * @example
 * const result = await replayFailedBatch(client, message, { definition, handler });
 * if (!result.failedAt) dlq.delete(id);
 */
export const replayFailedBatch = async (
  client: DynamoDBStreamsClient,
  message: OnFailureMessage,
  consumer: RunnerConsumer,
  ttlDeletions?: TtlDeletions,
): Promise<ReplayResult> => {
  const { filters, batchSize } = consumer.definition;
  // An S3 destination kept the invocation's records; a queue message names them only.
  const read = message.payload
    ? (JSON.parse(message.payload) as DynamoDBStreamEvent).Records
    : await readFailedBatch(client, message, ttlDeletions);
  const wanted = read.filter((record) => filters.length === 0 || matchesAnyFilter(filters, record));
  let delivered = 0;
  for (let start = 0; start < wanted.length; start += batchSize) {
    const batch = wanted.slice(start, start + batchSize);
    let response: unknown;
    try {
      response = await consumer.handler({ Records: batch });
    } catch (error) {
      return {
        read: read.length,
        delivered,
        failedAt: batch[0]?.dynamodb?.SequenceNumber,
        reason: String(error),
      };
    }
    const outcome = interpretResponse(batch, response);
    if (outcome.kind === 'failed') {
      return {
        read: read.length,
        delivered,
        failedAt: batch[0]?.dynamodb?.SequenceNumber,
        reason: outcome.reason,
      };
    }
    if (outcome.kind === 'partial') {
      return {
        read: read.length,
        delivered: delivered + outcome.firstFailedIndex,
        failedAt: batch[outcome.firstFailedIndex]?.dynamodb?.SequenceNumber,
        reason: 'the consumer reported the record as failed',
      };
    }
    delivered += batch.length;
  }
  return { read: read.length, delivered };
};
