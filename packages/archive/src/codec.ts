import { gunzipSync, gzipSync } from 'node:zlib';
import { ArchiveFormatError } from './errors.js';
import type { ArchiveRecord } from './types.js';

/**
 * Encodes records as gzip JSON Lines, one record per line.
 *
 * @example
 * const body = encodeRecords(object.records);
 */
export const encodeRecords = (records: readonly ArchiveRecord[]): Buffer =>
  gzipSync(records.map((record) => `${JSON.stringify(record)}\n`).join(''));

const isRecord = (value: unknown): value is ArchiveRecord => {
  const record = value as Partial<ArchiveRecord> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.eventID === 'string' &&
    typeof record.sequenceNumber === 'string' &&
    typeof record.entityType === 'string' &&
    typeof record.removedAt === 'string' &&
    typeof record.keys?.PK === 'string' &&
    typeof record.keys.SK === 'string' &&
    typeof record.image === 'object' &&
    record.image !== null
  );
};

/**
 * Decodes an archive object's body back into records.
 *
 * @example
 * const records = decodeRecords(key, body);
 */
export const decodeRecords = (key: string, body: Uint8Array): ArchiveRecord[] => {
  let text: string;
  try {
    text = gunzipSync(body).toString('utf8');
  } catch (cause) {
    throw new ArchiveFormatError(key, 'is not gzip', { cause });
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, index) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (cause) {
        throw new ArchiveFormatError(key, `line ${index + 1} is not JSON`, { cause });
      }
      if (!isRecord(parsed)) throw new ArchiveFormatError(key, `line ${index + 1} is not a record`);
      return parsed;
    });
};
