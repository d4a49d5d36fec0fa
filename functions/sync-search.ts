/**
 * Lambda handler of the `sync-search` consumer: keeps the orders and users search indexes
 * in step with the table. The logic lives in `@pipeline/search`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EnvVar } from '@pipeline/pipeline';
import { createSearchClient, createSearchSyncConsumer } from '@pipeline/search';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const tableName = required(EnvVar.tableName);
const node = required(EnvVar.openSearchUrl);
const endpoint = process.env[EnvVar.dynamodbEndpoint];
const region = process.env.AWS_REGION ?? 'us-east-1';
const service = process.env[EnvVar.openSearchService] === 'aoss' ? 'aoss' : 'es';

const logger = new Logger({ serviceName: 'sync-search' });
const metrics = new Metrics({ namespace: 'StreamPipeline', serviceName: 'sync-search' });
const search = createSearchClient({
  node,
  ...(process.env[EnvVar.openSearchSigV4] === 'true' ? { sigv4: { region, service } } : {}),
});
// Locally DynamoDB Local keeps one database per access key and Region, so use the ones it was set up with.
const dynamodb = new DynamoDBClient(
  endpoint
    ? {
        endpoint,
        region,
        ...(process.env.AWS_ACCESS_KEY_ID
          ? {}
          : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      }
    : {},
);

const syncSearch = createSearchSyncConsumer({
  client: search,
  dynamodb,
  tableName,
  logger,
  metrics,
});

/** Applies one stream batch to the search indexes; reports unapplied records for retry. */
export const handler = async (
  event: DynamoDBStreamEvent,
  context?: Context,
): Promise<DynamoDBBatchResponse> => {
  try {
    return await syncSearch(event, context);
  } finally {
    metrics.publishStoredMetrics();
  }
};
