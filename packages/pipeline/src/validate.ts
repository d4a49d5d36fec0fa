import { PipelineDefinitionError } from './errors.js';
import type { ConsumerDefinition } from './types.js';

const STREAM_RETENTION_SECONDS = 24 * 3600;
// Headroom to replay a DLQ'd batch from the stream before the records age out.
const REPLAY_HEADROOM_SECONDS = 3600;

const between = (
  consumer: ConsumerDefinition,
  setting: keyof ConsumerDefinition,
  min: number,
  max: number,
) => {
  const value = consumer[setting];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PipelineDefinitionError(
      consumer.name,
      setting,
      `must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
};

/**
 * Refuses settings Lambda would reject, and combinations that break a consumer's
 * guarantees. Returns the definition unchanged so it can wrap a literal.
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
  between(consumer, 'retryAttempts', 0, 10_000);
  between(consumer, 'maxRecordAgeSeconds', 60, STREAM_RETENTION_SECONDS - REPLAY_HEADROOM_SECONDS);
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
    throw new PipelineDefinitionError(consumer.name, 'filters', 'may hold at most 5 patterns');
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
