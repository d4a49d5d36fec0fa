/**
 * An S3 on-failure destination, as Lambda writes one for a stream event source mapping:
 * one JSON object per skipped batch, holding the metadata and the whole invocation payload.
 */
import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { OnFailureDestination, OnFailureMessage } from './failure-queue.js';

/** The prefix under which Lambda writes every on-failure object of every mapping. */
export const ON_FAILURE_PREFIX = 'aws/lambda/';

const pad = (value: number): string => String(value).padStart(2, '0');

/**
 * The key Lambda gives an on-failure object:
 * `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>`.
 *
 * @example
 * onFailureKey('5b5c…', 'shardId-0001', new Date('2026-03-15T10:20:30Z'))
 * // 'aws/lambda/5b5c…/shardId-0001/2026/03/15/2026-03-15T10.20.30-<uuid>'
 */
export const onFailureKey = (mappingId: string, shardId: string, at: Date): string => {
  const [y, m, d] = [at.getUTCFullYear(), pad(at.getUTCMonth() + 1), pad(at.getUTCDate())];
  const time = `${pad(at.getUTCHours())}.${pad(at.getUTCMinutes())}.${pad(at.getUTCSeconds())}`;
  return `${ON_FAILURE_PREFIX}${mappingId}/${shardId}/${y}/${m}/${d}/${y}-${m}-${d}T${time}-${randomUUID()}`;
};

/** A message read back from a {@link FailureBucket}. */
export interface StoredFailure {
  readonly key: string;
  readonly body: OnFailureMessage;
}

/**
 * The bucket side of an S3 on-failure destination: the runner writes to it, `replay`
 * lists, reads and deletes. Works against the local archive server and against S3.
 *
 * @example
 * const failures = new FailureBucket({ s3, bucket: 'pipeline-failures', mappingId: 'sync-search' });
 * for (const failure of await failures.list()) console.log(failure.key);
 */
export class FailureBucket implements OnFailureDestination {
  readonly withPayload = true;
  #depth = 0;

  constructor(
    private readonly options: {
      readonly s3: S3Client;
      readonly bucket: string;
      /** The event source mapping's id (its UUID in AWS); locally, the mapping's name. */
      readonly mappingId: string;
      readonly now?: () => Date;
    },
  ) {}

  async send(message: OnFailureMessage): Promise<void> {
    const key = onFailureKey(
      this.options.mappingId,
      message.DDBStreamBatchInfo.shardId,
      this.options.now?.() ?? new Date(),
    );
    await this.options.s3.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: key,
        Body: JSON.stringify(message),
        ContentType: 'application/json',
      }),
    );
    this.#depth++;
  }

  /** The objects this process wrote that no one deleted through it. */
  depth(): number {
    return this.#depth;
  }

  /** Every on-failure object of the mapping, oldest first (keys sort by time per shard). */
  async list(): Promise<StoredFailure[]> {
    const { s3, bucket, mappingId } = this.options;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: `${ON_FAILURE_PREFIX}${mappingId}/`,
          ContinuationToken: token,
        }),
      );
      keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const failures: StoredFailure[] = [];
    for (const key of keys.sort()) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await object.Body?.transformToString()) ?? '{}';
      failures.push({ key, body: JSON.parse(text) as OnFailureMessage });
    }
    return failures;
  }

  async delete(key: string): Promise<void> {
    await this.options.s3.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    this.#depth = Math.max(0, this.#depth - 1);
  }
}
