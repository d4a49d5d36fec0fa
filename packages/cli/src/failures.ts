import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mappings } from '@pipeline/consumers';
import { FailureBucket, FileQueue, type OnFailureMessage } from '@pipeline/local';
import { s3ClientConfig } from '@pipeline/pipeline';
import { UsageError } from './args.js';
import { type RuntimeFile, readRuntimeFile } from './runtime-file.js';

/** An event source mapping of the pipeline definition. */
export type Mapping = (typeof mappings)[number];

const MAPPING_NAMES = mappings.map((mapping) => mapping.name).join(', ');
const CONSUMER_NAMES = mappings
  .flatMap((mapping) => mapping.consumers.map((consumer) => consumer.name))
  .join(', ');

/** The flags of `replay` and `dlq` that say which mapping and where its on-failure messages are. */
export const FAILURE_SOURCE_OPTIONS = {
  consumer: { type: 'string' },
  'queue-url': { type: 'string' },
  bucket: { type: 'string' },
  'mapping-id': { type: 'string' },
} as const;

/** Usage lines of {@link FAILURE_SOURCE_OPTIONS}. */
export const FAILURE_SOURCE_USAGE = `  --consumer <name>      a mapping (${MAPPING_NAMES}) or a consumer
                         (${CONSUMER_NAMES}), which stands for the mapping that runs it
  --queue-url <url>      the mapping's SQS on-failure queue in AWS
  --bucket <name>        the mapping's S3 on-failure destination (onFailure: 'bucket')
  --mapping-id <uuid>    with --bucket: the event source mapping's UUID in AWS (default: the
                         mapping's name, as the local runner names it)`;

/**
 * The mapping `--consumer` names: a mapping by its name, or the mapping that runs the
 * consumer of that name. A missing or unknown name is a {@link UsageError} listing the
 * valid ones.
 *
 * @example
 * mappingArgument('archive-expired').name // 'aggregates-and-archive'
 */
export const mappingArgument = (name: string | undefined): Mapping => {
  const mapping =
    mappings.find((candidate) => candidate.name === name) ??
    mappings.find((candidate) => candidate.consumers.some((consumer) => consumer.name === name));
  if (mapping) return mapping;
  const valid = `the mappings are ${MAPPING_NAMES}; the consumers are ${CONSUMER_NAMES}`;
  throw new UsageError(
    name === undefined || name === ''
      ? `--consumer is required: ${valid}`
      : `no mapping or consumer is named ${name}: ${valid}`,
    { code: 'cli.unknownConsumer', flag: '--consumer' },
  );
};

/** One on-failure message, and how to delete it from where it was read. */
export interface FailureMessage {
  readonly id: string;
  readonly body: OnFailureMessage;
  remove(): Promise<void>;
}

/** Where a mapping's on-failure messages were read from. */
export interface FailureSource {
  /** `local` (the running stack's file queue), `queue` (SQS) or `bucket` (S3). */
  readonly kind: 'local' | 'queue' | 'bucket';
  /** The queue directory, queue URL or bucket, for messages. */
  readonly location: string;
  /** The running local stack, when one was found. */
  readonly runtime: RuntimeFile | undefined;
  readonly messages: readonly FailureMessage[];
}

/** What {@link readFailureSource} takes: the parsed flags and the data directory. */
export interface FailureSourceRequest {
  readonly mapping: Mapping;
  readonly queueUrl?: string | undefined;
  readonly bucket?: string | undefined;
  readonly mappingId?: string | undefined;
  readonly dataDirectory: string;
  /**
   * Read without consuming: SQS messages are received with a visibility timeout of 0, so
   * they stay visible to the mapping's own consumers and the next reader.
   */
  readonly peek: boolean;
}

/** The rounds of ReceiveMessage a peek makes at most, 10 messages each. */
export const MAX_PEEK_ROUNDS = 100;

/**
 * Receives an SQS queue's messages without hiding them: ReceiveMessage with a visibility
 * timeout of 0, again and again, until a round brings no message not seen before (SQS
 * samples its servers, so one round may miss some), at most `maxRounds` rounds. Takes the
 * receive as a function, so the stopping rule is tested without a queue.
 *
 * @example
 * const messages = await peekQueue((input) => sqs.send(new ReceiveMessageCommand(input)), url);
 */
export const peekQueue = async (
  receive: (input: ReceiveMessageCommandInput) => Promise<{ Messages?: Message[] }>,
  queueUrl: string,
  maxRounds = MAX_PEEK_ROUNDS,
): Promise<Message[]> => {
  const seen = new Map<string, Message>();
  for (let round = 0; round < maxRounds; round++) {
    const { Messages: messages = [] } = await receive({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 0,
      WaitTimeSeconds: round === 0 ? 1 : 0,
    });
    const fresh = messages.filter((message) => !seen.has(message.MessageId ?? ''));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId ?? '', message);
  }
  return [...seen.values()];
};

/**
 * The runner's state directory of the stack a command line names: the one the running stack
 * recorded, else `<data-dir>/runner`, whose queues outlive the stack. An in-memory stack
 * that is not running has none.
 */
export const runnerStateDirectory = (
  dataDirectory: string,
  runtime: RuntimeFile | undefined,
): string | undefined =>
  runtime?.stateDirectory ?? (dataDirectory ? join(dataDirectory, 'runner') : undefined);

/**
 * Reads the on-failure messages of a mapping from where the flags say: the S3 destination
 * (`bucket`), the SQS queue (`queueUrl`), or else the local stack's file queue
 * (`<runner state>/dlq/<mapping>`). The S3 client of a bucket reaches `S3_ENDPOINT` (the
 * running local archive, which the command line put in the environment) or else AWS.
 *
 * @example
 * const { messages } = await readFailureSource({ mapping, dataDirectory: '.local', peek: true });
 */
export const readFailureSource = async (request: FailureSourceRequest): Promise<FailureSource> => {
  const { mapping, queueUrl, bucket, dataDirectory } = request;
  if (bucket) {
    const runtime = queueUrl ? undefined : readRuntimeFile(dataDirectory);
    // The environment holds the running stack's S3_ENDPOINT, as for the archive commands.
    const s3 = new S3Client(s3ClientConfig(process.env));
    const failures = new FailureBucket({
      s3,
      bucket,
      mappingId: request.mappingId ?? mapping.name,
    });
    const stored = await failures.list();
    return {
      kind: 'bucket',
      location: bucket,
      runtime,
      messages: stored.map((failure) => ({
        id: failure.key,
        body: failure.body,
        remove: () => failures.delete(failure.key),
      })),
    };
  }
  if (queueUrl) {
    const sqs = new SQSClient({});
    const received = request.peek
      ? await peekQueue((input) => sqs.send(new ReceiveMessageCommand(input)), queueUrl)
      : ((
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
            }),
          )
        ).Messages ?? []);
    return {
      kind: 'queue',
      location: queueUrl,
      runtime: undefined,
      messages: received.map((message) => ({
        id: message.MessageId ?? '',
        body: JSON.parse(message.Body ?? '{}') as OnFailureMessage,
        remove: async () => {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
        },
      })),
    };
  }
  const runtime = readRuntimeFile(dataDirectory);
  const state = runnerStateDirectory(dataDirectory, runtime);
  if (!state) {
    throw new UsageError(
      'no in-memory stack is running (--data-dir ""), so there is no on-failure queue to read; ' +
        'start one with `npm start -- --data-dir ""`, or give --data-dir, --queue-url or --bucket',
    );
  }
  const queue = new FileQueue(join(state, 'dlq', mapping.name));
  return {
    kind: 'local',
    location: queue.directory,
    runtime,
    messages: queue
      .receive()
      .map((message) => ({ ...message, remove: async () => queue.delete(message.id) })),
  };
};
