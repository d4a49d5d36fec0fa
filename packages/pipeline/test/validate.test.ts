import { describe, expect, it } from 'vitest';
import { PipelineDefinitionError } from '../src/errors.js';
import { CONSUMER_DEFAULTS, entityTypeFilters } from '../src/settings.js';
import { Access, type ConsumerDefinition } from '../src/types.js';
import { validateConsumer } from '../src/validate.js';

// A valid consumer, shaped like sync-search, whose settings each test changes one at a time.
const base: ConsumerDefinition = {
  ...CONSUMER_DEFAULTS,
  name: 'sync-search',
  description: 'Keeps the search indexes in step with the table.',
  handler: 'functions/sync-search.ts',
  batchSize: 500,
  maxBatchingWindowSeconds: 0,
  parallelizationFactor: 2,
  ordering: 'per-item',
  filters: entityTypeFilters(['User', 'Order']),
  timeoutSeconds: 60,
  memoryMiB: 512,
  access: [Access.readMainTable, Access.writeSearch],
};
const withSetting = (setting: keyof ConsumerDefinition, value: unknown): ConsumerDefinition =>
  ({ ...base, [setting]: value }) as ConsumerDefinition;

const refusal = (definition: ConsumerDefinition): PipelineDefinitionError => {
  try {
    validateConsumer(definition);
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return error;
    throw error;
  }
  throw new Error('the definition was accepted');
};

// Ranges from Lambda's "Lambda parameters for Amazon DynamoDB event source mappings" and the
// CreateEventSourceMapping API reference.
describe('validateConsumer accepts every value Lambda accepts', () => {
  it.each([
    ['batchSize', 1],
    ['batchSize', 10_000],
    ['maxBatchingWindowSeconds', 0],
    ['maxBatchingWindowSeconds', 300],
    // MaximumRetryAttempts -1: infinite, failed records are retried until they expire.
    ['retryAttempts', -1],
    ['retryAttempts', 0],
    ['retryAttempts', 10_000],
    // MaximumRecordAgeInSeconds -1: infinite; otherwise 60 to 604,800.
    ['maxRecordAgeSeconds', -1],
    ['maxRecordAgeSeconds', 60],
    ['maxRecordAgeSeconds', 82_801],
    ['maxRecordAgeSeconds', 604_800],
    ['parallelizationFactor', 1],
    ['parallelizationFactor', 10],
    ['timeoutSeconds', 1],
    ['timeoutSeconds', 900],
    ['memoryMiB', 128],
    ['memoryMiB', 10_240],
  ] as const)('accepts %s %d', (setting, value) => {
    // Prepare
    const definition = withSetting(setting, value);
    // Act
    const validated = validateConsumer(definition);
    // Assess
    expect(validated[setting]).toBe(value);
  });
});

describe('validateConsumer refuses what Lambda refuses, naming the range and the value', () => {
  it.each([
    ['batchSize', 0, 'an integer from 1 to 10,000 (given 0)'],
    ['batchSize', 10_001, 'an integer from 1 to 10,000 (given 10001)'],
    ['batchSize', 1.5, 'an integer from 1 to 10,000 (given 1.5)'],
    ['maxBatchingWindowSeconds', -1, 'an integer from 0 to 300 (given -1)'],
    ['maxBatchingWindowSeconds', 301, 'an integer from 0 to 300 (given 301)'],
    ['retryAttempts', -2, '-1 (no limit) or an integer from 0 to 10,000 (given -2)'],
    ['retryAttempts', 10_001, '-1 (no limit) or an integer from 0 to 10,000 (given 10001)'],
    ['maxRecordAgeSeconds', 0, '-1 (no limit) or an integer from 60 to 604,800 (given 0)'],
    ['maxRecordAgeSeconds', 59, '-1 (no limit) or an integer from 60 to 604,800 (given 59)'],
    [
      'maxRecordAgeSeconds',
      604_801,
      '-1 (no limit) or an integer from 60 to 604,800 (given 604801)',
    ],
    ['parallelizationFactor', 0, 'an integer from 1 to 10 (given 0)'],
    ['parallelizationFactor', 11, 'an integer from 1 to 10 (given 11)'],
    ['timeoutSeconds', 901, 'an integer from 1 to 900 (given 901)'],
    ['memoryMiB', 127, 'an integer from 128 to 10,240 (given 127)'],
  ] as const)('refuses %s %d', (setting, value, allowed) => {
    // Prepare
    const definition = withSetting(setting, value);
    // Act
    const error = refusal(definition);
    // Assess
    expect(error).toMatchObject({
      code: 'pipeline.invalidDefinition',
      consumer: 'sync-search',
      setting,
    });
    expect(error.message).toBe(`consumer "sync-search": ${setting} must be ${allowed}`);
  });

  it('refuses a sixth filter pattern, the per-mapping quota, saying how many were given', () => {
    // Prepare
    const filters = Array.from({ length: 6 }, () => ({ eventName: ['INSERT'] }));
    // Act
    const error = refusal({ ...base, filters });
    // Assess
    expect(error.message).toContain('at most 5 patterns (given 6)');
  });

  it('refuses a parallelisation factor above 1 for a consumer that needs per-shard order', () => {
    // Prepare, act
    const error = refusal({ ...base, ordering: 'per-shard', parallelizationFactor: 2 });
    // Assess
    expect(error.setting).toBe('parallelizationFactor');
  });
});
