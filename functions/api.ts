/**
 * Lambda handler of the HTTP API behind API Gateway (payload 2.0): the same route table
 * as the local server, over the deployed tables and search domain. The routes live in
 * `@pipeline/api`; `GET /pipeline` answers 501 here, since the runner's counters exist
 * only locally (the CloudWatch dashboard shows the deployed pipeline).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAggregatesReader } from '@pipeline/aggregates';
import { createApi, createApiGatewayHandler } from '@pipeline/api';
import {
  dynamoDbClientConfig,
  EnvVar,
  openSearchClientConfig,
  requiredSetting,
} from '@pipeline/pipeline';
import { createQuerySearchClient } from '@pipeline/search';
import { createStore } from '@pipeline/store';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

const env = process.env;
const logger = new Logger({ serviceName: 'api' });
const dynamodb = new DynamoDBClient(dynamoDbClientConfig(env));

const serve = createApiGatewayHandler(
  createApi({
    store: createStore({ tableName: requiredSetting(env, EnvVar.tableName), client: dynamodb }),
    search: createQuerySearchClient(openSearchClientConfig(env)),
    aggregates: createAggregatesReader({
      tableName: requiredSetting(env, EnvVar.aggregatesTableName),
      client: dynamodb,
    }),
    log: logger,
  }),
  { log: logger },
);

/** Answers one API Gateway request; every log line carries the invocation's request id. */
export const handler = async (event: APIGatewayProxyEventV2, context: Context) => {
  logger.addContext(context);
  return serve(event);
};
