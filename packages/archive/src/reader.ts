import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { decodeRecords } from './codec.js';
import { ArchiveQueryError } from './errors.js';
import { OBJECT_SUFFIX, parseObjectKey, partitionPrefix } from './layout.js';
import type { ArchiveRecord } from './types.js';

/** Which part of the archive to read: one entity, a range of UTC days. */
export interface ArchiveQuery {
  readonly s3: S3Client;
  readonly bucket: string;
  /** @default '' */
  readonly prefix?: string;
  readonly entityType: string;
  /** First UTC day of removal, `YYYY-MM-DD`, inclusive. */
  readonly from: string;
  /** Last UTC day of removal, `YYYY-MM-DD`, inclusive. */
  readonly to: string;
  /** Keep only records of these keys: exact PK, exact SK or an SK prefix. */
  readonly keyFilter?: {
    readonly PK?: string;
    readonly SK?: string;
    readonly skBeginsWith?: string;
  };
}

/** One archive object found by a listing. */
export interface ArchiveObjectInfo {
  readonly key: string;
  readonly dt: string;
  readonly size: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const checkRange = (from: string, to: string) => {
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new ArchiveQueryError(
        field,
        `expected a day as YYYY-MM-DD, got ${JSON.stringify(value)}`,
      );
    }
  }
  if (from > to) throw new ArchiveQueryError('from', `${from} is after ${to}`);
};

/**
 * Lists the archive objects of one entity whose day falls in the range, in key order.
 * One paginated ListObjectsV2 over the entity's partitions, starting at the first day.
 *
 * @example
 * for await (const object of listArchiveObjects({ s3, bucket, prefix: 'archive', entityType: 'Session', from: '2026-01-01', to: '2026-01-31' })) console.log(object.key);
 */
export async function* listArchiveObjects(
  query: Omit<ArchiveQuery, 'keyFilter'>,
): AsyncGenerator<ArchiveObjectInfo> {
  checkRange(query.from, query.to);
  const entityPrefix = partitionPrefix(query.prefix ?? '', query.entityType);
  let token: string | undefined;
  do {
    const page = await query.s3.send(
      new ListObjectsV2Command({
        Bucket: query.bucket,
        Prefix: entityPrefix,
        // Keys of the first day sort after `dt=<from>` itself; earlier days sort before it.
        StartAfter: token === undefined ? `${entityPrefix}dt=${query.from}` : undefined,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      const parsed = object.Key ? parseObjectKey(object.Key) : undefined;
      if (!parsed || !object.Key?.endsWith(OBJECT_SUFFIX)) continue;
      if (parsed.dt > query.to) return;
      if (parsed.dt < query.from) continue;
      yield { key: object.Key, dt: parsed.dt, size: object.Size ?? 0 };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Archived records, deduplicated by event id. */
export interface ArchiveReadResult {
  readonly records: ArchiveRecord[];
  readonly objects: number;
  /** Lines dropped because an earlier object already held their event id. */
  readonly duplicates: number;
  /** Compressed bytes read. */
  readonly bytes: number;
}

const matches = (record: ArchiveRecord, filter: ArchiveQuery['keyFilter']): boolean =>
  !filter ||
  ((filter.PK === undefined || record.keys.PK === filter.PK) &&
    (filter.SK === undefined || record.keys.SK === filter.SK) &&
    (filter.skBeginsWith === undefined || record.keys.SK.startsWith(filter.skBeginsWith)));

// Objects fetched at once: enough to hide S3's latency without holding many bodies.
const FETCH_CONCURRENCY = 8;

/**
 * Reads every archived record of an entity in a day range, deduplicated by event id: a
 * record delivered twice (a retried or bisected batch) may sit in two objects, and it
 * counts once.
 *
 * @example
 * const { records } = await readArchive({ s3, bucket, prefix: 'archive', entityType: 'Session', from: '2026-01-01', to: '2026-01-01' });
 */
export const readArchive = async (
  query: ArchiveQuery,
  onObject?: (object: ArchiveObjectInfo, records: number) => void,
): Promise<ArchiveReadResult> => {
  const seen = new Set<string>();
  const records: ArchiveRecord[] = [];
  let objects = 0;
  let duplicates = 0;
  let bytes = 0;
  const pending: ArchiveObjectInfo[] = [];
  const drain = async () => {
    const bodies = await Promise.all(
      pending.map(async (object) => {
        const got = await query.s3.send(
          new GetObjectCommand({ Bucket: query.bucket, Key: object.key }),
        );
        return decodeRecords(object.key, await got.Body!.transformToByteArray());
      }),
    );
    // Deduplicate in listing order so the result does not depend on fetch timing.
    bodies.forEach((lines, index) => {
      const object = pending[index]!;
      objects++;
      bytes += object.size;
      for (const record of lines) {
        if (seen.has(record.eventID)) {
          duplicates++;
          continue;
        }
        seen.add(record.eventID);
        if (matches(record, query.keyFilter)) records.push(record);
      }
      onObject?.(object, lines.length);
    });
    pending.length = 0;
  };
  for await (const object of listArchiveObjects(query)) {
    pending.push(object);
    if (pending.length >= FETCH_CONCURRENCY) await drain();
  }
  await drain();
  return { records, objects, duplicates, bytes };
};
