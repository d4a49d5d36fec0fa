import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';

/** Why a batch was skipped to the on-failure destination. */
export type SkipCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * The JSON Lambda sends to an on-failure destination for a DynamoDB stream. To SQS or SNS
 * it is metadata only, and the records are read again from the stream to replay them; to
 * S3 it also carries the whole invocation payload, so a replay needs no stream.
 */
export interface OnFailureMessage {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: SkipCondition;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
  /** S3 destinations only: the event the function was invoked with, as JSON text. */
  readonly payload?: string;
}

const arrival = (record: DynamoDBRecord | undefined): string =>
  new Date((record?.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z');

/** Builds the on-failure message for a skipped batch; with `withPayload`, as S3 receives it. */
export const buildOnFailureMessage = (input: {
  readonly functionArn: string;
  readonly withPayload?: boolean;
  readonly shardId: string;
  readonly streamArn: string;
  readonly records: readonly DynamoDBRecord[];
  readonly condition: SkipCondition;
  readonly invokeCount: number;
  readonly now: Date;
}): OnFailureMessage => {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.invokeCount,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: input.now.toISOString(),
    DDBStreamBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first?.dynamodb?.SequenceNumber ?? '',
      endSequenceNumber: last?.dynamodb?.SequenceNumber ?? '',
      approximateArrivalOfFirstRecord: arrival(first),
      approximateArrivalOfLastRecord: arrival(last),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
    ...(input.withPayload ? { payload: JSON.stringify({ Records: input.records }) } : {}),
  };
};

/** Where the runner sends the metadata of a batch it skipped: a queue, or a bucket. */
export interface OnFailureDestination {
  /** True when messages carry the invocation payload, as S3 destinations do. */
  readonly withPayload: boolean;
  send(message: OnFailureMessage): unknown;
  /** Messages waiting, as last known. */
  depth(): number;
}

/** A message read from a {@link FileQueue}, with the handle that deletes it. */
export interface QueuedMessage {
  readonly id: string;
  readonly body: OnFailureMessage;
}

/**
 * The local on-failure destination: a directory holding one JSON file per message,
 * with the body Lambda would send to SQS. Writes are atomic (write, then rename).
 *
 * @example
 * const dlq = new FileQueue('.local/dlq/sync-search');
 * for (const message of dlq.receive()) { ...; dlq.delete(message.id); }
 */
export class FileQueue implements OnFailureDestination {
  readonly withPayload = false;
  readonly directory: string;
  constructor(directory: string) {
    this.directory = directory;
    mkdirSync(directory, { recursive: true });
  }

  send(body: OnFailureMessage): string {
    const id = `${Date.now().toString().padStart(15, '0')}-${randomUUID()}`;
    const file = join(this.directory, `${id}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2));
    renameSync(`${file}.tmp`, file);
    return id;
  }

  /** Every message, oldest first. */
  receive(): QueuedMessage[] {
    return readdirSync(this.directory)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => ({
        id: name.slice(0, -'.json'.length),
        body: JSON.parse(readFileSync(join(this.directory, name), 'utf8')) as OnFailureMessage,
      }));
  }

  depth(): number {
    return readdirSync(this.directory).filter((name) => name.endsWith('.json')).length;
  }

  delete(id: string): void {
    rmSync(join(this.directory, `${id}.json`), { force: true });
  }
}
