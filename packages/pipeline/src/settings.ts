import type { EntityType } from '@pipeline/model';
import type { FilterPattern } from './types.js';

/** The event source mapping settings every consumer of the main table starts from. */
export const CONSUMER_DEFAULTS = {
  startingPosition: 'TRIM_HORIZON',
  reportBatchItemFailures: true,
  bisectBatchOnError: true,
  retryAttempts: 5,
  // Six hours: long enough to ride out a sink outage, and leaves 18 h of the stream's
  // 24 h retention to replay what reached the DLQ.
  maxRecordAgeSeconds: 6 * 3600,
  onFailure: 'queue',
} as const;

/**
 * The settings of the mapping that update-aggregates and archive-expired share (see
 * `mappings` in `@pipeline/consumers`); both consumers spread them, so they agree:
 * - a window of 1 s lets batches coalesce records into each counter write, and keeps
 *   aggregates about a second behind;
 * - up to 1,000 records let a backlog or a burst of TTL expiries drain in large batches,
 *   which also makes larger archive objects;
 * - per-item state with sequence numbers makes both effects independent of cross-item
 *   order, so two batches of a shard may run side by side.
 */
export const AGGREGATES_AND_ARCHIVE_READING = {
  batchSize: 1000,
  maxBatchingWindowSeconds: 1,
  parallelizationFactor: 2,
  ordering: 'per-item',
  timeoutSeconds: 120,
  memoryMiB: 512,
} as const;

/**
 * Filters that pass a record whose new or old image is an item of one of `types`: an
 * insert, a change or a removal of such an item.
 *
 * @example
 * entityTypeFilters([EntityType.order]) // [{ dynamodb: { NewImage: { entityType: { S: ['Order'] } } } }, …]
 */
export const entityTypeFilters = (types: Iterable<EntityType | string>): FilterPattern[] => {
  const values = [...types];
  return [
    { dynamodb: { NewImage: { entityType: { S: values } } } },
    { dynamodb: { OldImage: { entityType: { S: values } } } },
  ];
};
