/**
 * Lambda handler of the `sync-search` consumer: keeps the orders and users search indexes
 * in step with the table. The logic lives in `@pipeline/search`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  dynamoDbClientConfig,
  EnvVar,
  lambdaHandler,
  METRICS_NAMESPACE,
  openSearchClientConfig,
  requiredSetting,
} from '@pipeline/pipeline';
import { createSearchSyncConsumer, createSyncSearchClient } from '@pipeline/search';

const env = process.env;

const logger = new Logger({ serviceName: 'sync-search' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'sync-search' });
const search = createSyncSearchClient(openSearchClientConfig(env));

/** Applies one stream batch to the search indexes; reports unapplied records for retry. */
export const handler = lambdaHandler(
  { logger, metrics },
  createSearchSyncConsumer({
    client: search,
    dynamodb: new DynamoDBClient(dynamoDbClientConfig(env)),
    tableName: requiredSetting(env, EnvVar.tableName),
    logger,
    metrics,
  }),
);
