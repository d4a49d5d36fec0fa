import type { OnFailureMessage } from '@pipeline/local';

/** An on-failure message as Lambda writes one, for the batch of `shardId` from `start` to `end`. */
export const onFailureMessage = (input: {
  readonly timestamp: string;
  readonly shardId?: string;
  readonly start: string;
  readonly end: string;
  readonly batchSize?: number;
  readonly condition?: OnFailureMessage['requestContext']['condition'];
  readonly arrival?: string;
}): OnFailureMessage => ({
  requestContext: {
    requestId: `request-${input.start}`,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sync-search',
    condition: input.condition ?? 'RetryAttemptsExhausted',
    approximateInvokeCount: 3,
  },
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  version: '1.0',
  timestamp: input.timestamp,
  DDBStreamBatchInfo: {
    shardId: input.shardId ?? 'shardId-00000001',
    startSequenceNumber: input.start,
    endSequenceNumber: input.end,
    approximateArrivalOfFirstRecord: input.arrival ?? '2026-03-01T11:59:58Z',
    approximateArrivalOfLastRecord: input.arrival ?? '2026-03-01T11:59:59Z',
    batchSize: input.batchSize ?? 2,
    streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/main/stream/2026-03-01T00:00:00.000',
  },
});
