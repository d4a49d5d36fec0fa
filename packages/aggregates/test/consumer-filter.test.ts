import { EntityType } from '@pipeline/model';
import { matchesAnyFilter } from '@pipeline/streams';
import { describe, expect, it } from 'vitest';
import { updateAggregatesConsumer } from '../src/consumer.js';
import { aggregates, sourceTypes } from '../src/declarations.js';

// The consumer's filters derive from the declarations' sources; this checks that what they
// pass is exactly what the aggregates read, through the same matcher the local runner uses.
const { filters } = updateAggregatesConsumer.definition;

/** A stream record of an item of `entityType`, as Lambda's filters see it. */
const recordOf = (
  entityType: string,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
): Record<string, unknown> => {
  const image = { entityType: { S: entityType }, PK: { S: 'PK#1' }, SK: { S: 'SK#1' } };
  return {
    eventName,
    dynamodb: {
      ...(eventName === 'REMOVE' ? {} : { NewImage: image }),
      ...(eventName === 'INSERT' ? {} : { OldImage: image }),
    },
  };
};

const sources = [...sourceTypes(aggregates)];
const events = ['INSERT', 'MODIFY', 'REMOVE'] as const;

describe("the update-aggregates consumer's filters", () => {
  it.each(sources.flatMap((source) => events.map((event) => [source, event] as const)))(
    'pass a %s %s, the source of an aggregate',
    (source, event) => {
      expect(matchesAnyFilter(filters, recordOf(source, event))).toBe(true);
    },
  );

  it.each(Object.values(EntityType).filter((type) => !sources.includes(type)))(
    'leave out %s, which no aggregate reads',
    (type) => {
      // Records no aggregate needs would cost invocations and a shard's read throughput.
      for (const event of events)
        expect(matchesAnyFilter(filters, recordOf(type, event))).toBe(false);
    },
  );

  it('has aggregates to check', () => {
    expect(sources.length).toBeGreaterThan(0);
  });
});
