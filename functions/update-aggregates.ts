/**
 * Lambda handler of the `update-aggregates` consumer: keeps the order, revenue and
 * product-view aggregates exactly once in effect. The logic lives in `@pipeline/aggregates`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAggregatesConsumer } from '@pipeline/aggregates';
import {
  dynamoDbClientConfig,
  EnvVar,
  lambdaHandler,
  METRICS_NAMESPACE,
  requiredSetting,
} from '@pipeline/pipeline';

const env = process.env;
const logger = new Logger({ serviceName: 'update-aggregates' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'update-aggregates' });

/** Applies one stream batch to the aggregates; reports unapplied records for retry. */
export const handler = lambdaHandler(
  { logger, metrics },
  createAggregatesConsumer({
    tableName: requiredSetting(env, EnvVar.aggregatesTableName),
    client: new DynamoDBClient(dynamoDbClientConfig(env)),
    logger,
    metrics,
  }),
);
