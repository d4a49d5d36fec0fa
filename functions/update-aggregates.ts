/**
 * Lambda handler of the `update-aggregates` consumer: keeps the order, revenue and
 * product-view aggregates exactly once in effect. The logic lives in `@pipeline/aggregates`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAggregatesConsumer } from '@pipeline/aggregates';
import { EnvVar } from '@pipeline/pipeline';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const aggregatesTableName = required(EnvVar.aggregatesTableName);
const endpoint = process.env[EnvVar.dynamodbEndpoint];

const logger = new Logger({ serviceName: 'update-aggregates' });
const metrics = new Metrics({ namespace: 'StreamPipeline', serviceName: 'update-aggregates' });
// Locally DynamoDB Local keeps one database per access key and Region, so use the ones it was set up with.
const client = new DynamoDBClient(
  endpoint
    ? {
        endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        ...(process.env.AWS_ACCESS_KEY_ID
          ? {}
          : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      }
    : {},
);

const updateAggregates = createAggregatesConsumer({
  tableName: aggregatesTableName,
  client,
  logger,
  metrics,
});

/** Applies one stream batch to the aggregates; reports unapplied records for retry. */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  try {
    return await updateAggregates(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
