import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { interpretResponse } from '../src/batch-outcome.js';

const batch: DynamoDBRecord[] = ['100', '200', '300', '400'].map((sequenceNumber) => ({
  dynamodb: { SequenceNumber: sequenceNumber },
}));

describe('interpretResponse', () => {
  it.each([undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }])(
    'treats %j as success',
    (response) => {
      expect(interpretResponse(batch, response)).toEqual({ kind: 'success' });
    },
  );

  it('checkpoints before the lowest failed record whatever order failures come in', () => {
    const response = { batchItemFailures: [{ itemIdentifier: '400' }, { itemIdentifier: '200' }] };
    expect(interpretResponse(batch, response)).toEqual({ kind: 'partial', firstFailedIndex: 1 });
  });

  it('reports a failure of the first record as a partial failure at index 0', () => {
    expect(interpretResponse(batch, { batchItemFailures: [{ itemIdentifier: '100' }] })).toEqual({
      kind: 'partial',
      firstFailedIndex: 0,
    });
  });

  it.each([
    [{ batchItemFailures: [{ itemIdentifier: '' }] }, 'missing or empty'],
    [{ batchItemFailures: [{}] }, 'missing or empty'],
    [{ batchItemFailures: [{ itemIdentifier: 42 }] }, 'missing or empty'],
    [{ batchItemFailures: [{ itemIdentifier: '999' }] }, 'not in the batch'],
    [
      { batchItemFailures: [{ itemIdentifier: '200' }, { itemIdentifier: '999' }] },
      'not in the batch',
    ],
    [{ batchItemFailures: 'all' }, 'not a list'],
    ['ok', 'not an object'],
    [[{ itemIdentifier: '100' }], 'not an object'],
  ])('fails the whole batch for the malformed response %j', (response, reason) => {
    const outcome = interpretResponse(batch, response);
    expect(outcome.kind).toBe('failed');
    expect(outcome.kind === 'failed' && outcome.reason).toContain(reason);
  });
});
