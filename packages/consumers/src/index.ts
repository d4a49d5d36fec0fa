/**
 * The pipeline's stream consumers and the event source mappings that run them. Each
 * consumer is a module of its own package (its settings, filters, access and factory);
 * this package only gathers them, since `@pipeline/pipeline`, which they all build on,
 * cannot import them.
 */
import { updateAggregatesConsumer } from '@pipeline/aggregates';
import { archiveExpiredConsumer } from '@pipeline/archive';
import {
  type ConsumerDefinition,
  type MappingDefinition,
  validateMappings,
  validatePipeline,
} from '@pipeline/pipeline';
import { syncSearchConsumer } from '@pipeline/search';

/**
 * Every stream consumer of the main table, each declared as one module beside its logic.
 *
 * @example
 * for (const consumer of consumers) console.log(consumer.definition.name);
 */
export const consumers = [
  syncSearchConsumer,
  updateAggregatesConsumer,
  archiveExpiredConsumer,
] as const;

/**
 * Every stream consumer's definition, validated.
 *
 * @example
 * for (const consumer of pipeline) console.log(consumer.name, consumer.batchSize);
 */
export const pipeline: readonly ConsumerDefinition[] = validatePipeline(
  consumers.map((consumer) => consumer.definition),
);

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
