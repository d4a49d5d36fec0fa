import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { interpretResponse, retriesExhausted, splitByAge } from '../src/batch-outcome.js';

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

const NOW_MS = Date.UTC(2025, 0, 1, 12);
const agedSeconds = (sequenceNumber: string, ageSeconds: number): DynamoDBRecord => ({
  dynamodb: {
    SequenceNumber: sequenceNumber,
    ApproximateCreationDateTime: NOW_MS / 1000 - ageSeconds,
  },
});
const sequences = (records: readonly DynamoDBRecord[]) =>
  records.map((record) => record.dynamodb?.SequenceNumber);

// MaximumRecordAgeInSeconds: "Discard records older than the specified age" (Lambda API reference).
describe('splitByAge', () => {
  it('discards only the expired records and keeps the fresh ones batched behind them', () => {
    // Prepare
    const batch = [
      agedSeconds('1', 7200),
      agedSeconds('2', 3601),
      agedSeconds('3', 10),
      agedSeconds('4', 3600),
    ];
    // Act
    const { fresh, expired } = splitByAge(batch, NOW_MS, 3600);
    // Assess
    expect(sequences(fresh)).toEqual(['3', '4']);
    expect(expired.map(sequences)).toEqual([['1', '2']]);
  });

  it('reports each run of neighbouring expired records apart, so no message spans a fresh one', () => {
    // Prepare
    const batch = [agedSeconds('1', 900), agedSeconds('2', 5), agedSeconds('3', 900)];
    // Act
    const { fresh, expired } = splitByAge(batch, NOW_MS, 60);
    // Assess
    expect(sequences(fresh)).toEqual(['2']);
    expect(expired.map(sequences)).toEqual([['1'], ['3']]);
  });

  // MaximumRecordAgeInSeconds -1: "infinite: failed records are retried until the record
  // expires. The data retention limit for DynamoDB Streams is 24 hours." (services-ddb-params)
  it('keeps records of any age with -1 until they leave the 24 h stream retention', () => {
    // Prepare
    const batch = [agedSeconds('1', 24 * 3600 + 1), agedSeconds('2', 23 * 3600)];
    // Act
    const { fresh, expired } = splitByAge(batch, NOW_MS, -1);
    // Assess
    expect(sequences(fresh)).toEqual(['2']);
    expect(expired.map(sequences)).toEqual([['1']]);
  });
});

// MaximumRetryAttempts -1: "Lambda retries failed records until the record expires" (Lambda API reference).
describe('retriesExhausted', () => {
  it.each([
    [0, 0, true],
    [1, 2, false],
    [2, 2, true],
    [10_000, -1, false],
    [Number.MAX_SAFE_INTEGER, -1, false],
  ])('after %d retries with retryAttempts %d says %s', (retries, retryAttempts, expected) => {
    expect(retriesExhausted(retries, retryAttempts)).toBe(expected);
  });
});
