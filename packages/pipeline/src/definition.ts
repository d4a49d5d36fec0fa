import { EntityType } from '@pipeline/model';
import { TTL_USER_IDENTITY } from './ttl.js';
import { Access, type ConsumerDefinition, type FilterPattern } from './types.js';
import { validatePipeline } from './validate.js';

const common = {
  startingPosition: 'TRIM_HORIZON',
  reportBatchItemFailures: true,
  bisectBatchOnError: true,
  retryAttempts: 5,
  // Six hours: long enough to ride out a sink outage, and leaves 18 h of the stream's
  // 24 h retention to replay what reached the DLQ.
  maxRecordAgeSeconds: 6 * 3600,
  onFailure: 'queue',
} as const;

const entityIn = (...types: EntityType[]): FilterPattern[] => [
  { dynamodb: { NewImage: { entityType: { S: types } } } },
  { dynamodb: { OldImage: { entityType: { S: types } } } },
];

/**
 * Every stream consumer of the main table.
 *
 * @example
 * for (const consumer of pipeline) console.log(consumer.name, consumer.batchSize);
 */
export const pipeline: readonly ConsumerDefinition[] = validatePipeline([
  {
    ...common,
    name: 'sync-search',
    description: 'Keeps the orders and users search indexes in step with the table.',
    handler: 'functions/sync-search.ts',
    batchSize: 500,
    maxBatchingWindowSeconds: 0,
    // Documents carry external versions, so batches of one shard may run side by side.
    parallelizationFactor: 2,
    ordering: 'per-item',
    filters: entityIn(EntityType.user, EntityType.order, EntityType.orderItem),
    timeoutSeconds: 60,
    memoryMiB: 512,
    access: [Access.readMainTable, Access.writeSearch],
  },
  {
    ...common,
    name: 'update-aggregates',
    description: 'Keeps order, revenue and product-view aggregates up to date.',
    handler: 'functions/update-aggregates.ts',
    batchSize: 100,
    // Larger batches coalesce more records into each counter write.
    maxBatchingWindowSeconds: 1,
    parallelizationFactor: 2,
    // Per-item state with sequence numbers makes the effect independent of cross-item order.
    ordering: 'per-item',
    filters: entityIn(EntityType.order, EntityType.productView),
    timeoutSeconds: 60,
    memoryMiB: 512,
    access: [Access.writeAggregates],
  },
  {
    ...common,
    name: 'archive-expired',
    description: 'Archives every item that DynamoDB deleted through TTL to S3.',
    handler: 'functions/archive-expired.ts',
    batchSize: 1000,
    maxBatchingWindowSeconds: 5,
    parallelizationFactor: 1,
    ordering: 'per-item',
    filters: [
      {
        userIdentity: {
          type: [TTL_USER_IDENTITY.type],
          principalId: [TTL_USER_IDENTITY.principalId],
        },
      },
    ],
    timeoutSeconds: 120,
    memoryMiB: 512,
    access: [Access.writeArchive],
  },
]);

/** Finds a consumer by name. */
export const consumerNamed = (name: string): ConsumerDefinition => {
  const consumer = pipeline.find((candidate) => candidate.name === name);
  if (!consumer) throw new Error(`no consumer named ${name}`);
  return consumer;
};
