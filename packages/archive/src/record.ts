import { ArchiveRecordError } from './errors.js';
import { imageToJson, type RawImage } from './json.js';
import type { ArchivableChange, ArchiveRecord } from './types.js';

/**
 * Whether a decoded change is an item removed by TTL, the only kind the archive keeps.
 * `expiredByTtl` comes from the record's `userIdentity` (Service,
 * dynamodb.amazonaws.com), checked in code because AWS's pages disagree on whether a
 * Lambda filter may name `userIdentity`. A delete by a user or a service has no such
 * identity. Neither has a TTL delete replicated from another Region of a global table,
 * so each expiry is archived once: in the Region where it expired.
 */
export const isTtlExpiry = (change: ArchivableChange): boolean =>
  change.kind === 'remove' && change.expiredByTtl;

/** `YYYY-MM-DD` of an instant, in UTC. */
export const utcDay = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

/** The expiry instant of a raw `ttl` attribute, when it holds epoch seconds DynamoDB would honour. */
const expiresAtOf = (image: RawImage, ttlAttribute: string): string | null => {
  const raw = image[ttlAttribute]?.N;
  if (raw === undefined) return null;
  const seconds = Number(raw);
  // Beyond this a Date cannot represent the instant; DynamoDB would never expire it either.
  if (!Number.isFinite(seconds) || Math.abs(seconds * 1000) > 8.64e15 || seconds < 0) return null;
  return new Date(Math.floor(seconds) * 1000).toISOString();
};

/**
 * Builds the archive line of one expired item. Everything in it comes from the stream
 * record and the table name, never from the clock, so a retried batch builds the same
 * bytes.
 *
 * @example
 * toArchiveRecord(change, oldImage, { tableName: 'orders' }).image.ttl // 1700000000
 */
export const toArchiveRecord = (
  change: ArchivableChange,
  oldImage: RawImage | undefined,
  options: { readonly tableName: string; readonly ttlAttribute?: string },
): ArchiveRecord => {
  if (!oldImage) {
    throw new ArchiveRecordError(change.eventID, change.sequenceNumber, 'has no old image');
  }
  if (!Number.isFinite(change.approximateCreationTime)) {
    throw new ArchiveRecordError(change.eventID, change.sequenceNumber, 'has no creation time');
  }
  return {
    eventID: change.eventID,
    sequenceNumber: change.sequenceNumber,
    tableName: options.tableName,
    entityType: change.entityType,
    keys: { PK: change.keys.PK, SK: change.keys.SK },
    expiresAt: expiresAtOf(oldImage, options.ttlAttribute ?? 'ttl'),
    removedAt: new Date(change.approximateCreationTime).toISOString(),
    image: imageToJson(oldImage),
  };
};

/**
 * The table name in a stream ARN
 * (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`), or undefined.
 *
 * @example
 * tableNameFromStreamArn('arn:aws:dynamodb:eu-west-1:1:table/orders/stream/2024') // 'orders'
 */
export const tableNameFromStreamArn = (arn: string | undefined): string | undefined =>
  arn ? /:table\/([^/]+)\/stream\//.exec(arn)?.[1] : undefined;
