import type { Json, RawImage } from './json.js';

/** One archived item: a line of an archive object. */
export interface ArchiveRecord {
  /** The stream event id; readers deduplicate by it. */
  readonly eventID: string;
  /** Decimal string of the stream record's sequence number. */
  readonly sequenceNumber: string;
  readonly tableName: string;
  readonly entityType: string;
  readonly keys: { readonly PK: string; readonly SK: string };
  /** When the item's `ttl` said it expires, ISO 8601 UTC; null when it had no usable ttl. */
  readonly expiresAt: string | null;
  /** When DynamoDB removed it (the record's approximate creation time), ISO 8601 UTC. */
  readonly removedAt: string;
  /** The item as it was before the delete, as exact JSON (see json.ts). */
  readonly image: { readonly [key: string]: Json };
}

/**
 * The fields of a decoded stream change the archive needs. `ChangeEvent` from
 * `@pipeline/streams` satisfies it.
 */
export interface ArchivableChange {
  readonly kind: string;
  readonly keys: { readonly PK: string; readonly SK: string };
  readonly entityType: string;
  readonly eventID: string;
  readonly sequenceNumber: string;
  /** Epoch milliseconds. */
  readonly approximateCreationTime: number;
  readonly expiredByTtl: boolean;
}

/** A stream change plus the raw old image it removed. */
export interface ExpiredItem {
  readonly change: ArchivableChange;
  readonly oldImage: RawImage;
}

/** One S3 object to write: the records of one batch that fall in one partition. */
export interface ArchiveObject {
  readonly key: string;
  readonly entityType: string;
  /** `YYYY-MM-DD`, the UTC day of removal. */
  readonly dt: string;
  /** Sorted by sequence number, then event id. */
  readonly records: readonly ArchiveRecord[];
}

/** The outcome of archiving one batch: records that must be delivered again. */
export interface ArchiveBatchResult {
  readonly written: readonly {
    readonly key: string;
    readonly records: number;
    readonly bytes: number;
    readonly alreadyPresent: boolean;
  }[];
  readonly failures: readonly { readonly sequenceNumber: string; readonly error: Error }[];
}
