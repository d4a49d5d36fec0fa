import { EntityType } from '@pipeline/model';
import { TTL_USER_IDENTITY } from './ttl.js';
import {
  Access,
  type ConsumerDefinition,
  type FilterPattern,
  type MappingDefinition,
} from './types.js';
import { validateMappings, validatePipeline } from './validate.js';

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

// update-aggregates and archive-expired share one event source mapping (see `mappings`), so
// they share its settings:
// - a window of 1 s lets batches coalesce records into each counter write, and keeps
//   aggregates about a second behind;
// - up to 1,000 records let a backlog or a burst of TTL expiries drain in large batches,
//   which also makes larger archive objects;
// - per-item state with sequence numbers makes both effects independent of cross-item
//   order, so two batches of a shard may run side by side.
const sharedWithArchive = {
  batchSize: 1000,
  maxBatchingWindowSeconds: 1,
  parallelizationFactor: 2,
  ordering: 'per-item',
  timeoutSeconds: 120,
  memoryMiB: 512,
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
    ...sharedWithArchive,
    name: 'update-aggregates',
    description: 'Keeps order, revenue and product-view aggregates up to date.',
    handler: 'functions/update-aggregates.ts',
    filters: entityIn(EntityType.order, EntityType.productView),
    access: [Access.writeAggregates],
  },
  {
    ...common,
    ...sharedWithArchive,
    name: 'archive-expired',
    description: 'Archives every item that DynamoDB deleted through TTL to S3.',
    handler: 'functions/archive-expired.ts',
    filters: [
      {
        userIdentity: {
          type: [TTL_USER_IDENTITY.type],
          principalId: [TTL_USER_IDENTITY.principalId],
        },
      },
    ],
    access: [Access.writeArchive],
  },
]);

/** Finds a consumer by name. */
export const consumerNamed = (name: string): ConsumerDefinition => {
  const consumer = pipeline.find((candidate) => candidate.name === name);
  if (!consumer) {
    throw new Error(
      `no consumer named ${name}; the consumers are ${pipeline.map((c) => c.name).join(', ')}`,
    );
  }
  return consumer;
};

/**
 * The event source mappings of the main table's stream, each a Lambda function that runs
 * its consumers over every batch. DynamoDB Streams serves at most two concurrent readers
 * per shard, so the three consumers share two mappings: search sync, the one whose latency
 * users see, reads alone with no batching window; aggregates and the archive, which
 * tolerate a second, read together. Why, and what sharing costs: docs/local-runner.md.
 *
 * @example
 * for (const mapping of mappings) console.log(mapping.name, mapping.consumers.length);
 */
export const mappings: readonly MappingDefinition[] = validateMappings(pipeline, [
  {
    name: 'sync-search',
    description: consumerNamed('sync-search').description,
    handler: 'functions/sync-search.ts',
    consumers: [consumerNamed('sync-search')],
  },
  {
    name: 'aggregates-and-archive',
    description: 'Runs update-aggregates and archive-expired over one reading of the stream.',
    handler: 'functions/aggregates-and-archive.ts',
    consumers: [consumerNamed('update-aggregates'), consumerNamed('archive-expired')],
  },
]);

/** Finds a mapping by name. */
export const mappingNamed = (name: string): MappingDefinition => {
  const mapping = mappings.find((candidate) => candidate.name === name);
  if (!mapping) {
    throw new Error(
      `no mapping named ${name}; the mappings are ${mappings.map((m) => m.name).join(', ')}`,
    );
  }
  return mapping;
};

/** The mapping that runs the consumer named `name`. */
export const mappingOf = (name: string): MappingDefinition => {
  const consumer = consumerNamed(name);
  // validateMappings places every consumer in exactly one mapping.
  return mappings.find((candidate) => candidate.consumers.includes(consumer))!;
};
