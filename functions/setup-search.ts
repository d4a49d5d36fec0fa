/**
 * Lambda handler of the search setup custom resource: on every deploy it sets up the
 * templates, indices, aliases and the writers' FGAC role, signed as the domain's master
 * user. The logic lives in `@pipeline/search`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  dynamoDbClientConfig,
  EnvVar,
  openSearchClientConfig,
  requiredSetting,
} from '@pipeline/pipeline';
import { createSearchClient, createSearchSetupHandler } from '@pipeline/search';

const env = process.env;

/** Sets search up on Create and Update; leaves everything in place on Delete. */
export const handler = createSearchSetupHandler({
  client: createSearchClient(openSearchClientConfig(env)),
  // A template change that cannot be applied in place rebuilds the indices from the table.
  rebuildFrom: {
    dynamodb: new DynamoDBClient(dynamoDbClientConfig(env)),
    tableName: requiredSetting(env, EnvVar.tableName),
  },
  logger: new Logger({ serviceName: 'setup-search' }),
});
