/**
 * Where archive objects live: `<prefix>/entity=<type>/dt=<YYYY-MM-DD>/<name>.jsonl.gz`,
 * Hive-style partitions Athena reads as they are.
 */
import { createHash } from 'node:crypto';
import { compareSequenceNumbers } from '@pipeline/streams';
import { utcDay } from './record.js';
import type { ArchiveObject, ArchiveRecord } from './types.js';

/** The file extension of every archive object. */
export const OBJECT_SUFFIX = '.jsonl.gz';

/** A prefix without leading or trailing slashes; empty means the bucket's root. */
export const normalizePrefix = (prefix: string): string => prefix.replace(/^\/+|\/+$/g, '');

/**
 * The key prefix of one entity's partitions, or of one day when `dt` is given.
 *
 * @example
 * partitionPrefix('archive', 'Session', '2026-01-02') // 'archive/entity=Session/dt=2026-01-02/'
 */
export const partitionPrefix = (prefix: string, entityType: string, dt?: string): string => {
  const root = normalizePrefix(prefix);
  return `${root ? `${root}/` : ''}entity=${entityType}/${dt === undefined ? '' : `dt=${dt}/`}`;
};

/** Recovers entity and day from an archive object key, or undefined for a foreign key. */
export const parseObjectKey = (key: string): { entityType: string; dt: string } | undefined => {
  const match = /(?:^|\/)entity=([^/]+)\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.jsonl\.gz$/.exec(key);
  return match ? { entityType: match[1]!, dt: match[2]! } : undefined;
};

const byStreamOrder = (a: ArchiveRecord, b: ArchiveRecord) =>
  compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) ||
  (a.eventID < b.eventID ? -1 : a.eventID > b.eventID ? 1 : 0);

/**
 * The object name of a set of records: a hash of their sorted event ids. The same
 * records give the same name however they were ordered or delivered, and any other set
 * (a bisected half, a batch that gained or lost records) gives another name.
 */
export const objectName = (eventIDs: readonly string[]): string =>
  createHash('sha256')
    .update([...eventIDs].sort().join('\n'))
    .digest('hex')
    .slice(0, 32);

/**
 * Splits a batch's records into one object per partition (entity and UTC day of
 * removal), each under its deterministic key.
 *
 * @example
 * planObjects(records, 'archive').map((object) => object.key)
 * // ['archive/entity=Session/dt=2026-01-02/3f…9a.jsonl.gz']
 */
export const planObjects = (records: readonly ArchiveRecord[], prefix: string): ArchiveObject[] => {
  const groups = new Map<string, { entityType: string; dt: string; records: ArchiveRecord[] }>();
  for (const record of records) {
    const dt = utcDay(Date.parse(record.removedAt));
    const partition = partitionPrefix(prefix, record.entityType, dt);
    const group = groups.get(partition) ?? { entityType: record.entityType, dt, records: [] };
    group.records.push(record);
    groups.set(partition, group);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([partition, group]) => ({
      key: `${partition}${objectName(group.records.map((record) => record.eventID))}${OBJECT_SUFFIX}`,
      entityType: group.entityType,
      dt: group.dt,
      records: [...group.records].sort(byStreamOrder),
    }));
};
