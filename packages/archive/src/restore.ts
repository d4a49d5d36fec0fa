/**
 * Restoring archived items into the table.
 *
 * A restore is a new write, not an undo: the item gets a fresh `rev` (the store's rule,
 * write time in microseconds and above the archived rev), a fresh `updatedAt` and a new
 * `ttl`, so the search index, the aggregates and the stream see an ordinary insert that
 * is newer than anything the item had before. It is conditional: it writes only when no
 * item has the key, or the item there is older than the archived one (lower rev), so a
 * restore never overwrites a newer item.
 */
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mainTable } from '@pipeline/model';
import { compareSequenceNumbers } from '@pipeline/streams';
import { jsonToImage } from './json.js';
import type { ArchiveRecord } from './types.js';

/** By default a restored item lives one more day before TTL may remove it again. */
export const DEFAULT_RESTORE_TTL_SECONDS = 86_400;

/** Revisions per millisecond, as the store counts them. */
const REV_PER_MS = 1000;

/** The archived item's rev, when it is a plain integer. */
export const archivedRev = (record: ArchiveRecord): number | undefined => {
  const rev = record.image.rev;
  return typeof rev === 'number' && Number.isSafeInteger(rev) ? rev : undefined;
};

/**
 * The PutItem request that restores one archived record: fresh rev, updatedAt and ttl,
 * conditional on no newer item.
 *
 * @example
 * buildRestorePutParams(record, { tableName: 'orders', now: new Date() }).ConditionExpression
 * // 'attribute_not_exists(#pk) OR #rev < :archivedRev'
 */
export const buildRestorePutParams = (
  record: ArchiveRecord,
  options: {
    readonly tableName: string;
    readonly now: Date;
    /** @default {@link DEFAULT_RESTORE_TTL_SECONDS} */
    readonly ttlSeconds?: number;
    /** @default the main table's TTL attribute */
    readonly ttlAttribute?: string;
  },
): PutItemCommandInput => {
  const item = jsonToImage(record.image);
  const rev = archivedRev(record);
  const ttlAttribute = options.ttlAttribute ?? mainTable.timeToLiveAttribute;
  const ttl =
    Math.floor(options.now.getTime() / 1000) + (options.ttlSeconds ?? DEFAULT_RESTORE_TTL_SECONDS);
  item[ttlAttribute] = { N: String(ttl) };
  item.rev = { N: String(Math.max(options.now.getTime() * REV_PER_MS, (rev ?? 0) + 1)) };
  if ('updatedAt' in item) item.updatedAt = { S: options.now.toISOString() };
  return {
    TableName: options.tableName,
    Item: item,
    ConditionExpression:
      rev === undefined
        ? 'attribute_not_exists(#pk)'
        : 'attribute_not_exists(#pk) OR #rev < :archivedRev',
    ExpressionAttributeNames: rev === undefined ? { '#pk': 'PK' } : { '#pk': 'PK', '#rev': 'rev' },
    ...(rev === undefined
      ? {}
      : { ExpressionAttributeValues: { ':archivedRev': { N: String(rev) } } }),
  };
};

const itemId = (record: ArchiveRecord) =>
  `${record.keys.PK.length}:${record.keys.PK}${record.keys.SK}`;

const isLater = (a: ArchiveRecord, b: ArchiveRecord): boolean => {
  const revA = archivedRev(a) ?? 0;
  const revB = archivedRev(b) ?? 0;
  if (revA !== revB) return revA > revB;
  if (a.removedAt !== b.removedAt) return a.removedAt > b.removedAt;
  return compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) > 0;
};

/**
 * One record per item: when an item expired more than once in the range, its latest
 * life (highest rev) is the one to restore.
 */
export const latestPerItem = (records: readonly ArchiveRecord[]): ArchiveRecord[] => {
  const latest = new Map<string, ArchiveRecord>();
  for (const record of records) {
    const id = itemId(record);
    const current = latest.get(id);
    if (!current || isLater(record, current)) latest.set(id, record);
  }
  return [...latest.values()];
};

/** Settings of {@link restoreRecords}. */
export interface RestoreOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** @default {@link DEFAULT_RESTORE_TTL_SECONDS} */
  readonly ttlSeconds?: number;
  /** Count what would be restored, write nothing. @default false */
  readonly dryRun?: boolean;
  /** @default 8 */
  readonly concurrency?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Called after each item. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What a restore did. */
export interface RestoreResult {
  /** Distinct items chosen (latest life of each). */
  readonly candidates: number;
  /** Items written; in a dry run, always 0. */
  readonly restored: number;
  /** Items left alone because the table holds a newer one. */
  readonly skippedNewer: number;
  readonly failed: readonly { readonly keys: ArchiveRecord['keys']; readonly error: unknown }[];
}

/**
 * Restores archived records into the table (see the module comment for the rules).
 *
 * @example
 * const { records } = await readArchive({ s3, bucket, entityType: 'Session', from, to });
 * const result = await restoreRecords(records, { dynamodb, tableName: 'orders' });
 */
export const restoreRecords = async (
  records: readonly ArchiveRecord[],
  options: RestoreOptions,
): Promise<RestoreResult> => {
  const chosen = latestPerItem(records);
  if (options.dryRun) {
    options.onProgress?.(chosen.length, chosen.length);
    return { candidates: chosen.length, restored: 0, skippedNewer: 0, failed: [] };
  }
  let restored = 0;
  let skippedNewer = 0;
  let done = 0;
  const failed: { keys: ArchiveRecord['keys']; error: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < chosen.length) {
      const record = chosen[next++]!;
      const params = buildRestorePutParams(record, {
        tableName: options.tableName,
        now: (options.now ?? (() => new Date()))(),
        ttlSeconds: options.ttlSeconds,
      });
      try {
        await options.dynamodb.send(new PutItemCommand(params));
        restored++;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) skippedNewer++;
        else failed.push({ keys: record.keys, error });
      }
      options.onProgress?.(++done, chosen.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return { candidates: chosen.length, restored, skippedNewer, failed };
};
