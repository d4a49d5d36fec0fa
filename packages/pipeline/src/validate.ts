import { PipelineDefinitionError } from './errors.js';
import type { ConsumerDefinition, FilterPattern, MappingDefinition } from './types.js';

/**
 * How long DynamoDB Streams keeps a record. With `maxRecordAgeSeconds: -1` a failing
 * record is retried until it leaves the stream, so this is then the effective bound.
 */
export const STREAM_RETENTION_SECONDS = 24 * 3600;

/** `-1` in `retryAttempts` or `maxRecordAgeSeconds`: no limit, as Lambda spells it. */
export const UNLIMITED = -1;

/** Lambda takes at most five filter patterns per event source mapping. */
const MAX_FILTERS = 5;

type NumericSetting = {
  [K in keyof ConsumerDefinition]: ConsumerDefinition[K] extends number ? K : never;
}[keyof ConsumerDefinition];

const formatted = (value: number): string => value.toLocaleString('en-US');

const refuse = (consumer: ConsumerDefinition, setting: NumericSetting, allowed: string) => {
  throw new PipelineDefinitionError(
    consumer.name,
    setting,
    `must be ${allowed} (given ${String(consumer[setting])})`,
  );
};

const isInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value);

const between = (
  consumer: ConsumerDefinition,
  setting: NumericSetting,
  min: number,
  max: number,
  { unlimited = false } = {},
) => {
  const value = consumer[setting];
  if (unlimited && value === UNLIMITED) return;
  if (!isInteger(value) || value < min || value > max) {
    const range = `an integer from ${formatted(min)} to ${formatted(max)}`;
    refuse(consumer, setting, unlimited ? `-1 (no limit) or ${range}` : range);
  }
};

/**
 * Refuses settings Lambda would reject, naming the allowed range and the value given, and
 * combinations that break a consumer's guarantees. Accepts every value Lambda accepts for a
 * DynamoDB event source mapping (services-ddb-params and CreateEventSourceMapping in the
 * Lambda documentation). Returns the definition unchanged so it can wrap a literal.
 *
 * @example
 * validateConsumer({ ...consumerNamed('sync-search'), batchSize: 10_001 });
 * // PipelineDefinitionError: consumer "sync-search": batchSize must be an integer from 1 to 10,000 (given 10001)
 */
export const validateConsumer = (consumer: ConsumerDefinition): ConsumerDefinition => {
  if (!/^[a-z][a-z0-9-]{2,40}$/.test(consumer.name)) {
    throw new PipelineDefinitionError(
      consumer.name,
      'name',
      'must be 3 to 41 characters of a-z, 0-9 and -',
    );
  }
  between(consumer, 'batchSize', 1, 10_000);
  between(consumer, 'maxBatchingWindowSeconds', 0, 300);
  // -1 retries until the record expires (MaximumRetryAttempts, -1 to 10,000).
  between(consumer, 'retryAttempts', 0, 10_000, { unlimited: true });
  // -1 never discards for age; 0 to 59 lie in the API's range but Lambda refuses them.
  between(consumer, 'maxRecordAgeSeconds', 60, 604_800, { unlimited: true });
  between(consumer, 'parallelizationFactor', 1, 10);
  between(consumer, 'timeoutSeconds', 1, 900);
  between(consumer, 'memoryMiB', 128, 10_240);
  if (consumer.reportBatchItemFailures !== true) {
    throw new PipelineDefinitionError(consumer.name, 'reportBatchItemFailures', 'must be on');
  }
  if (consumer.ordering === 'per-shard' && consumer.parallelizationFactor > 1) {
    throw new PipelineDefinitionError(
      consumer.name,
      'parallelizationFactor',
      'must be 1 for a consumer that needs per-shard ordering: above 1, Lambda keeps order per item only',
    );
  }
  if (consumer.filters.length > MAX_FILTERS) {
    throw new PipelineDefinitionError(
      consumer.name,
      'filters',
      `may hold at most ${MAX_FILTERS} patterns (given ${consumer.filters.length})`,
    );
  }
  if (!consumer.handler.startsWith('functions/') || !consumer.handler.endsWith('.ts')) {
    throw new PipelineDefinitionError(consumer.name, 'handler', 'must be a functions/*.ts module');
  }
  return consumer;
};

/** Validates every consumer and refuses duplicate names. */
export const validatePipeline = (
  consumers: readonly ConsumerDefinition[],
): readonly ConsumerDefinition[] => {
  const names = new Set<string>();
  for (const consumer of consumers) {
    validateConsumer(consumer);
    if (names.has(consumer.name)) {
      throw new PipelineDefinitionError(consumer.name, 'name', 'is used by two consumers');
    }
    names.add(consumer.name);
  }
  return consumers;
};

/**
 * How many readers DynamoDB Streams serves per shard at once: "No more than two processes
 * at most should be reading from the same streams shard at the same time. Having more than
 * two readers per shard can result in throttling." (DynamoDB Streams developer guide).
 */
export const MAX_READERS_PER_SHARD = 2;

/** The settings the consumers of one mapping share: its event source mapping's and its function's. */
export const MAPPING_SETTINGS = [
  'batchSize',
  'maxBatchingWindowSeconds',
  'startingPosition',
  'bisectBatchOnError',
  'retryAttempts',
  'maxRecordAgeSeconds',
  'parallelizationFactor',
  'ordering',
  'onFailure',
  'timeoutSeconds',
  'memoryMiB',
] as const satisfies readonly (keyof ConsumerDefinition)[];

// Patterns are plain JSON; equal text is equal meaning.
const uniquePatterns = (patterns: readonly FilterPattern[]): FilterPattern[] => {
  const seen = new Map<string, FilterPattern>();
  for (const pattern of patterns) seen.set(JSON.stringify(pattern), pattern);
  return [...seen.values()];
};

/**
 * The function and event source mapping a mapping deploys, as one consumer definition the
 * CDK app and the local runner both take: its consumers' shared settings, its own name and
 * handler, the union of their filter patterns (none when one of them takes every record),
 * and the union of their access.
 *
 * @example
 * mappingFunction(mappingNamed('aggregates-and-archive')).filters.length; // 3
 */
export const mappingFunction = (mapping: MappingDefinition): ConsumerDefinition => {
  const [first, ...rest] = mapping.consumers;
  if (!first) {
    throw new PipelineDefinitionError(
      mapping.name,
      'consumers',
      'must name at least one consumer',
      {
        subject: 'mapping',
      },
    );
  }
  for (const consumer of rest) {
    const differing = MAPPING_SETTINGS.find((setting) => consumer[setting] !== first[setting]);
    if (differing) {
      throw new PipelineDefinitionError(
        consumer.name,
        differing,
        `must equal ${first.name}'s (${String(first[differing])}): both run in mapping "${mapping.name}" (given ${String(consumer[differing])})`,
      );
    }
  }
  const everyRecord = mapping.consumers.some((consumer) => consumer.filters.length === 0);
  return validateConsumer({
    ...first,
    name: mapping.name,
    description: mapping.description,
    handler: mapping.handler,
    filters: everyRecord
      ? []
      : uniquePatterns(mapping.consumers.flatMap((consumer) => consumer.filters)),
    access: [...new Set(mapping.consumers.flatMap((consumer) => consumer.access))],
  });
};

/**
 * Refuses more than {@link MAX_READERS_PER_SHARD} readers (event source mappings, by name)
 * of one stream.
 *
 * @example
 * validateStreamReaders(['sync-search', 'update-aggregates', 'archive-expired']);
 * // PipelineDefinitionError: stream "sync-search, update-aggregates, archive-expired": readers may number at most 2, ...
 */
export const validateStreamReaders = (readers: readonly string[]): void => {
  if (readers.length > MAX_READERS_PER_SHARD) {
    throw new PipelineDefinitionError(
      readers.join(', '),
      'readers',
      `may number at most ${MAX_READERS_PER_SHARD}, since DynamoDB Streams throttles a third concurrent reader of a shard (given ${readers.length}); run several consumers in one mapping instead`,
      { subject: 'stream' },
    );
  }
};

/**
 * Validates the mappings of one stream over `consumers`: every consumer runs in exactly one
 * mapping, the consumers of a mapping agree on its settings, a mapping's patterns fit
 * Lambda's limit of five, and no more than {@link MAX_READERS_PER_SHARD} mappings read the
 * stream. Returns the mappings unchanged so it can wrap a literal.
 *
 * @example
 * validateMappings(pipeline, [...mappings, { name: 'audit', description: '', handler: 'functions/audit.ts', consumers: [] }]);
 * // PipelineDefinitionError: mapping "audit": consumers must name at least one consumer
 */
export const validateMappings = (
  consumers: readonly ConsumerDefinition[],
  mappings: readonly MappingDefinition[],
): readonly MappingDefinition[] => {
  const placed = new Map<ConsumerDefinition, string>();
  const names = new Set<string>();
  for (const mapping of mappings) {
    if (names.has(mapping.name)) {
      throw new PipelineDefinitionError(mapping.name, 'name', 'is used by two mappings', {
        subject: 'mapping',
      });
    }
    names.add(mapping.name);
    mappingFunction(mapping);
    for (const consumer of mapping.consumers) {
      const other = placed.get(consumer);
      if (other) {
        throw new PipelineDefinitionError(
          consumer.name,
          'mapping',
          `must be one, but the consumer runs in "${other}" and "${mapping.name}"`,
        );
      }
      placed.set(consumer, mapping.name);
    }
  }
  for (const consumer of consumers) {
    if (!placed.has(consumer)) {
      throw new PipelineDefinitionError(consumer.name, 'mapping', 'is missing: no mapping runs it');
    }
  }
  validateStreamReaders(mappings.map((mapping) => mapping.name));
  return mappings;
};
