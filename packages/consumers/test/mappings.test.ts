import {
  type ConsumerDefinition,
  MAX_READERS_PER_SHARD,
  type MappingDefinition,
  mappingFunction,
  PipelineDefinitionError,
  validateMappings,
} from '@pipeline/pipeline';
import { describe, expect, it } from 'vitest';
import { consumerNamed, mappingNamed, mappingOf, mappings, pipeline } from '../src/index.js';

const refusal = (run: () => unknown): PipelineDefinitionError => {
  try {
    run();
  } catch (error) {
    if (error instanceof PipelineDefinitionError) return error;
    throw error;
  }
  throw new Error('the mappings were accepted');
};

const alone = (consumer: ConsumerDefinition): MappingDefinition => ({
  name: consumer.name,
  description: consumer.description,
  handler: consumer.handler,
  consumers: [consumer],
});

/** The shared aggregates-and-archive function, with `archive` in place of the archive consumer. */
const sharedWithArchive = (archive: ConsumerDefinition) =>
  mappingFunction({
    ...mappingNamed('aggregates-and-archive'),
    consumers: [consumerNamed('update-aggregates'), archive],
  });

describe('the mappings of the pipeline definition', () => {
  it('read the stream with at most two readers and run every consumer exactly once', () => {
    expect(mappings.length).toBeLessThanOrEqual(MAX_READERS_PER_SHARD);
    expect(
      mappings
        .flatMap((mapping) => mapping.consumers)
        .map((c) => c.name)
        .sort(),
    ).toEqual(pipeline.map((consumer) => consumer.name).sort());
  });

  it('give search sync a mapping of its own, with no batching window', () => {
    expect(mappingOf('sync-search').consumers).toEqual([consumerNamed('sync-search')]);
    expect(mappingFunction(mappingOf('sync-search'))).toEqual(consumerNamed('sync-search'));
  });

  it('run aggregates and the archive in one function whose filters and access are the union of theirs', () => {
    const shared = mappingFunction(mappingNamed('aggregates-and-archive'));
    const aggregates = consumerNamed('update-aggregates');
    const archive = consumerNamed('archive-expired');
    expect(mappingOf('archive-expired').name).toBe('aggregates-and-archive');
    expect(shared.filters).toEqual([...aggregates.filters, ...archive.filters]);
    expect(shared.access).toEqual([...aggregates.access, ...archive.access]);
    expect(shared.handler).toBe('functions/aggregates-and-archive.ts');
    expect(shared.batchSize).toBe(aggregates.batchSize);
  });

  it('take every record when one consumer has no filters', () => {
    const every = { ...consumerNamed('archive-expired'), filters: [] };
    expect(sharedWithArchive(every).filters).toEqual([]);
  });
});

describe('validateMappings refuses', () => {
  it('a third reader of the stream, naming the limit and the readers', () => {
    const error = refusal(() => validateMappings(pipeline, pipeline.map(alone)));
    expect(error.message).toBe(
      'stream "sync-search, update-aggregates, archive-expired": readers may number at most 2, since DynamoDB Streams throttles a third concurrent reader of a shard (given 3); run several consumers in one mapping instead',
    );
    expect(error.subject).toBe('stream');
  });

  it('a consumer no mapping runs', () => {
    const error = refusal(() => validateMappings(pipeline, [mappingNamed('sync-search')]));
    expect(error.message).toBe(
      'consumer "update-aggregates": mapping is missing: no mapping runs it',
    );
  });

  it('a consumer run by two mappings', () => {
    const aggregates = consumerNamed('update-aggregates');
    const archive = consumerNamed('archive-expired');
    const error = refusal(() =>
      validateMappings([aggregates, archive], [alone(aggregates), mappingOf('archive-expired')]),
    );
    expect(error.message).toBe(
      'consumer "update-aggregates": mapping must be one, but the consumer runs in "update-aggregates" and "aggregates-and-archive"',
    );
  });

  it('consumers of one mapping that disagree on a setting, naming both values', () => {
    const slow = { ...consumerNamed('archive-expired'), maxBatchingWindowSeconds: 5 };
    const error = refusal(() => sharedWithArchive(slow));
    expect(error.message).toBe(
      'consumer "archive-expired": maxBatchingWindowSeconds must equal update-aggregates\'s (1): both run in mapping "aggregates-and-archive" (given 5)',
    );
  });

  it('more filter patterns than Lambda takes on one mapping', () => {
    const many = {
      ...consumerNamed('archive-expired'),
      filters: [1, 2, 3, 4].map((n) => ({ dynamodb: { Keys: { PK: { S: [`P${n}`] } } } })),
    };
    const error = refusal(() => sharedWithArchive(many));
    expect(error.message).toBe(
      'consumer "aggregates-and-archive": filters may hold at most 5 patterns (given 6)',
    );
  });

  it('a mapping with no consumer', () => {
    const error = refusal(() =>
      mappingFunction({ name: 'empty', description: '', handler: 'functions/x.ts', consumers: [] }),
    );
    expect(error.message).toBe('mapping "empty": consumers must name at least one consumer');
  });
});
