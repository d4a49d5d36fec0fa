/**
 * Writing a batch of expiries to S3, and why no record is ever lost.
 *
 * 1. The batch's TTL expiries are grouped by partition (entity, UTC day of removal); each
 *    group becomes ONE object whose key is a hash of the group's event ids (layout.ts).
 * 2. Each object is written with `If-None-Match: *`. A 200 means S3 stored it; S3 is
 *    strongly consistent, so every later read sees it.
 * 3. A 412 means the key exists. The key is a function of the event ids only, and every
 *    byte of a line comes from the stream record and the table name (never the clock), so
 *    the object there was written by an earlier delivery of this very group. We still read
 *    it back and check that it holds every event id of the group; only then is it success.
 * 4. Any other outcome (network error, 5xx, timeout, a 412 whose object lacks an event
 *    id) reports every record of that object as failed. The handler never reports success
 *    for a record before S3 acknowledged an object containing it.
 *
 * Why retries, bisects and partial failures cannot lose a record:
 * - Lambda checkpoints at the lowest reported sequence number and redelivers everything
 *   from there on. The records it leaves behind lie below the checkpoint; none of them was
 *   reported, so each sits in an object S3 acknowledged (step 4).
 * - A redelivered batch of the same records rebuilds the same objects under the same keys:
 *   the already written ones answer 412 and are verified (step 3), the failed ones are
 *   written now.
 * - A bisected half, a batch cut differently on redelivery, or one that gained records
 *   groups another set of event ids, so it gets another key and a new object. It may
 *   repeat records an earlier object holds: that is the at-least-once side, and readers
 *   deduplicate by event id (reader.ts). Nothing is ever overwritten, so no earlier object
 *   can vanish.
 * - A batch that exhausts its retries goes to the on-failure queue, never silently away.
 * - Order does not matter: the archive is a set of records keyed by event id, so a later
 *   expiry of an item written before an earlier one that failed is harmless.
 */
import { decodeRecords, encodeRecords } from './codec.js';
import { ArchiveConflictError, ArchiveRecordError, ArchiveWriteError } from './errors.js';
import type { RawImage } from './json.js';
import { planObjects } from './layout.js';
import type { ArchiveObjectStore } from './object-store.js';
import { isTtlExpiry, tableNameFromStreamArn, toArchiveRecord } from './record.js';
import type {
  ArchivableChange,
  ArchiveBatchResult,
  ArchiveObject,
  ArchiveRecord,
} from './types.js';

/** Where and how a batch is archived. */
export interface ArchiveWriterOptions {
  /** The bucket's objects (see `createS3ObjectStore`). */
  readonly objects: ArchiveObjectStore;
  readonly bucket: string;
  /** Key prefix of the archive, such as `archive`; may be empty. */
  readonly prefix: string;
  /**
   * Written into every record whose stream ARN does not name its table.
   * @default the table in the record's eventSourceARN
   */
  readonly tableName?: string;
  /** @default 'ttl' */
  readonly ttlAttribute?: string;
}

/** What the archive reads from a change's raw Lambda record. */
export interface RawRecordParts {
  /** The raw `dynamodb.OldImage`, converted to JSON exactly (json.ts). */
  readonly oldImage?: RawImage;
  readonly eventSourceARN?: string;
}

/** The outcome of writing one object. */
export interface ObjectWriteResult {
  readonly key: string;
  readonly bytes: number;
  /** True when an earlier delivery had already written it (412, verified). */
  readonly alreadyPresent: boolean;
}

/** The content type of every archive object: gzip-compressed JSON Lines. */
export const ARCHIVE_CONTENT_TYPE = 'application/x-ndjson';

/**
 * Writes one archive object exactly once: a conditional put, and on 412 a read-back that
 * proves the object there holds every record.
 *
 * @example
 * await writeArchiveObject(objects, 'archive-bucket', planObjects(records, 'archive')[0]);
 */
export const writeArchiveObject = async (
  objects: ArchiveObjectStore,
  bucket: string,
  object: ArchiveObject,
): Promise<ObjectWriteResult> => {
  const body = encodeRecords(object.records);
  try {
    if (await objects.putIfAbsent(bucket, object.key, body, ARCHIVE_CONTENT_TYPE))
      return { key: object.key, bytes: body.length, alreadyPresent: false };
  } catch (error) {
    throw new ArchiveWriteError(bucket, object.key, { cause: error });
  }
  let existing: ArchiveRecord[];
  try {
    existing = decodeRecords(object.key, await objects.get(bucket, object.key));
  } catch (error) {
    throw new ArchiveWriteError(bucket, object.key, { cause: error });
  }
  const present = new Set(existing.map((record) => record.eventID));
  const missing = object.records.map((record) => record.eventID).filter((id) => !present.has(id));
  if (missing.length > 0) throw new ArchiveConflictError(bucket, object.key, missing);
  return { key: object.key, bytes: body.length, alreadyPresent: true };
};

/**
 * Archives the TTL expiries among a batch's changes; other changes are ignored. Returns
 * the records to deliver again: every record of an object S3 did not acknowledge.
 *
 * @example
 * const { failures } = await archiveExpired(changes, (change) => rawByEventId.get(change.eventID), {
 *   objects, bucket: 'archive-bucket', prefix: 'archive', tableName: 'orders',
 * });
 */
export const archiveExpired = async (
  changes: readonly ArchivableChange[],
  rawOf: (change: ArchivableChange) => RawRecordParts | undefined,
  options: ArchiveWriterOptions,
): Promise<ArchiveBatchResult> => {
  const failures: { sequenceNumber: string; error: Error }[] = [];
  const records: ArchiveRecord[] = [];
  for (const change of changes) {
    if (!isTtlExpiry(change)) continue;
    try {
      const raw = rawOf(change);
      const tableName = tableNameFromStreamArn(raw?.eventSourceARN) ?? options.tableName;
      if (tableName === undefined) {
        throw new ArchiveRecordError(change.eventID, change.sequenceNumber, 'names no table');
      }
      records.push(
        toArchiveRecord(change, raw?.oldImage, { tableName, ttlAttribute: options.ttlAttribute }),
      );
    } catch (error) {
      // Reported, not dropped: after its retries the record lands on the failure queue.
      failures.push({
        sequenceNumber: change.sequenceNumber,
        error:
          error instanceof Error
            ? error
            : new ArchiveRecordError(change.eventID, change.sequenceNumber, String(error)),
      });
    }
  }
  const objects = planObjects(records, options.prefix);
  const outcomes = await Promise.allSettled(
    objects.map((object) => writeArchiveObject(options.objects, options.bucket, object)),
  );
  const written: { key: string; records: number; bytes: number; alreadyPresent: boolean }[] = [];
  outcomes.forEach((outcome, index) => {
    const object = objects[index]!;
    if (outcome.status === 'fulfilled') {
      written.push({ ...outcome.value, records: object.records.length });
      return;
    }
    const error =
      outcome.reason instanceof Error
        ? outcome.reason
        : new ArchiveWriteError(options.bucket, object.key, { cause: outcome.reason });
    for (const record of object.records)
      failures.push({ sequenceNumber: record.sequenceNumber, error });
  });
  return { written, failures };
};
