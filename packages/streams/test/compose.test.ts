import { consumerNamed } from '@pipeline/consumers';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { runConsumers, type StreamHandler } from '../src/compose.js';

const order = (sequenceNumber: string, id: string): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: sequenceNumber,
    Keys: { PK: { S: `ORDER#${id}` }, SK: { S: 'ORDER' } },
    NewImage: { PK: { S: `ORDER#${id}` }, SK: { S: 'ORDER' }, entityType: { S: 'Order' } },
  },
});

const expiry = (sequenceNumber: string, id: string): DynamoDBRecord => ({
  eventName: 'REMOVE',
  userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
  dynamodb: {
    SequenceNumber: sequenceNumber,
    Keys: { PK: { S: `VIEW#${id}` }, SK: { S: 'VIEW' } },
    OldImage: { PK: { S: `VIEW#${id}` }, SK: { S: 'VIEW' }, entityType: { S: 'User' } },
  },
});

/** A consumer that records what it was given and fails the sequence numbers in `failing`. */
const recording = (failing: readonly string[] = []) => {
  const seen: string[][] = [];
  const handler: StreamHandler = async (event) => {
    seen.push(event.Records.map((record) => record.dynamodb!.SequenceNumber!));
    return {
      batchItemFailures: event.Records.filter((record) =>
        failing.includes(record.dynamodb!.SequenceNumber!),
      ).map((record) => ({ itemIdentifier: record.dynamodb!.SequenceNumber! })),
    };
  };
  return { seen, handler };
};

const batch: DynamoDBStreamEvent = {
  Records: [order('100', 'a'), expiry('200', 'b'), order('300', 'c'), expiry('400', 'd')],
};

const shared = (aggregates: StreamHandler, archive: StreamHandler) =>
  runConsumers([
    { definition: consumerNamed('update-aggregates'), handler: aggregates },
    { definition: consumerNamed('archive-expired'), handler: archive },
  ]);

describe('runConsumers', () => {
  it('gives each consumer only the records its filters match, in stream order', async () => {
    const aggregates = recording();
    const archive = recording();
    const response = await shared(aggregates.handler, archive.handler)(batch);
    expect(aggregates.seen).toEqual([['100', '300']]);
    expect(archive.seen).toEqual([['200', '400']]);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('reports every record any consumer failed, so Lambda checkpoints before the lowest across them', async () => {
    const aggregates = recording(['300']);
    const archive = recording(['200']);
    const response = await shared(aggregates.handler, archive.handler)(batch);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '200' }, { itemIdentifier: '300' }],
    });
  });

  it("isolates one consumer's failure from the other, which still applies its records", async () => {
    const aggregates = recording();
    const errors: string[] = [];
    const throwing: StreamHandler = async () => {
      throw new Error('S3 unavailable');
    };
    const response = await runConsumers(
      [
        { definition: consumerNamed('update-aggregates'), handler: aggregates.handler },
        { definition: consumerNamed('archive-expired'), handler: throwing },
      ],
      { onConsumerError: (consumer) => errors.push(consumer) },
    )(batch);
    expect(aggregates.seen).toEqual([['100', '300']]);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '200' }, { itemIdentifier: '400' }],
    });
    expect(errors).toEqual(['archive-expired']);
  });

  it('fails every record of a consumer whose response names a record it was not given', async () => {
    const aggregates = recording();
    const stray: StreamHandler = async () => ({ batchItemFailures: [{ itemIdentifier: '100' }] });
    const response = await shared(aggregates.handler, stray)(batch);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '200' }, { itemIdentifier: '400' }],
    });
  });

  it('does not invoke a consumer none of whose records are in the batch', async () => {
    const aggregates = recording();
    const archive = recording();
    await shared(aggregates.handler, archive.handler)({ Records: [order('100', 'a')] });
    expect(archive.seen).toEqual([]);
  });
});
