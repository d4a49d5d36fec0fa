import { PipelineDefinitionError } from './errors.js';
import type { ConsumerDefinition } from './types.js';

/**
 * How long DynamoDB Streams keeps a record. With `maxRecordAgeSeconds: -1` a failing
 * record is retried until it leaves the stream, so this is then the effective bound.
 */
export const STREAM_RETENTION_SECONDS = 24 * 3600;

/** `-1` in `retryAttempts` or `maxRecordAgeSeconds`: no limit, as Lambda spells it. */
export const UNLIMITED = -1;

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
  if (consumer.filters.length > 5) {
    throw new PipelineDefinitionError(
      consumer.name,
      'filters',
      `may hold at most 5 patterns (given ${consumer.filters.length})`,
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
