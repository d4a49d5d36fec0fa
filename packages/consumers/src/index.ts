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

/** The one of `all` named `name`, or an error that lists the names there are. */
const named = <T extends { readonly name: string }>(
  all: readonly T[],
  kind: 'consumer' | 'mapping',
  name: string,
): T => {
  const found = all.find((candidate) => candidate.name === name);
  if (!found) {
    const names = all.map((candidate) => candidate.name).join(', ');
    throw new Error(`no ${kind} named ${name}; the ${kind}s are ${names}`);
  }
  return found;
};

/** Finds a consumer by name. */
export const consumerNamed = (name: string): ConsumerDefinition =>
  named(pipeline, 'consumer', name);

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
    description: syncSearchConsumer.definition.description,
    handler: syncSearchConsumer.definition.handler,
    consumers: [syncSearchConsumer.definition],
  },
  {
    name: 'aggregates-and-archive',
    description: 'Runs update-aggregates and archive-expired over one reading of the stream.',
    handler: 'functions/aggregates-and-archive.ts',
    consumers: [updateAggregatesConsumer.definition, archiveExpiredConsumer.definition],
  },
]);

/** Finds a mapping by name. */
export const mappingNamed = (name: string): MappingDefinition => named(mappings, 'mapping', name);

/** The mapping that runs the consumer named `name`. */
export const mappingOf = (name: string): MappingDefinition => {
  const consumer = consumerNamed(name);
  // validateMappings places every consumer in exactly one mapping.
  return mappings.find((candidate) => candidate.consumers.includes(consumer))!;
};
