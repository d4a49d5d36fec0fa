import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EnvVar } from './env.js';

/** The CloudWatch namespace of every consumer's metrics. */
export const METRICS_NAMESPACE = 'StreamPipeline';

/**
 * Region and credentials of every local engine. DynamoDB Local keeps one database per
 * access key and Region, so every local client must use exactly these.
 */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** An environment as handlers and commands receive it (`process.env`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads a setting that must be present, or fails at load with the variable's name. */
export const requiredSetting = (env: Environment, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const localOverrides = (env: Environment, endpoint: string) => ({
  endpoint,
  region: env.AWS_REGION ?? LOCAL_AWS.region,
  ...(env.AWS_ACCESS_KEY_ID ? {} : { credentials: { ...LOCAL_AWS.credentials } }),
});

/**
 * DynamoDB client settings: the SDK's defaults in AWS, or the local endpoint named by
 * `DYNAMODB_ENDPOINT`.
 *
 * @example
 * const client = new DynamoDBClient(dynamoDbClientConfig(process.env));
 */
export const dynamoDbClientConfig = (env: Environment) => {
  const endpoint = env[EnvVar.dynamodbEndpoint];
  return endpoint ? localOverrides(env, endpoint) : {};
};

/** S3 client settings: the SDK's defaults in AWS, or the path-style local archive named by `S3_ENDPOINT`. */
export const s3ClientConfig = (env: Environment) => {
  const endpoint = env[EnvVar.s3Endpoint];
  return endpoint ? { ...localOverrides(env, endpoint), forcePathStyle: true } : {};
};

/**
 * OpenSearch client settings: the URL named by `OPENSEARCH_URL`, signed with SigV4 for
 * `es` (or `aoss` for Serverless) when `OPENSEARCH_SIGV4` is `true`.
 *
 * @example
 * const client = createSearchClient(openSearchClientConfig(process.env));
 */
export const openSearchClientConfig = (env: Environment) => {
  const node = requiredSetting(env, EnvVar.openSearchUrl);
  if (env[EnvVar.openSearchSigV4] !== 'true') return { node };
  const service: 'es' | 'aoss' = env[EnvVar.openSearchService] === 'aoss' ? 'aoss' : 'es';
  return { node, sigv4: { region: env.AWS_REGION ?? LOCAL_AWS.region, service } };
};

/**
 * The EMF metric every handler publishes once per invocation: how many records its
 * response reported as failed (`batchItemFailures.length`), 0 on a clean batch.
 */
export const BATCH_ITEM_FAILURES_METRIC = 'BatchItemFailures';

/** What {@link lambdaHandler} needs of the function's Powertools Logger and Metrics. */
export interface HandlerTools {
  readonly logger: Pick<Logger, 'addContext'>;
  readonly metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics'>;
}

/** A stream consumer as Lambda calls it; the local runner and tests may leave out the context. */
export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context?: Context,
) => Promise<DynamoDBBatchResponse>;

/**
 * Wraps a stream consumer as a Lambda handler: adds the invocation's context to the logger
 * (so every line carries the request id), passes the context on, counts the response's
 * failed records as {@link BATCH_ITEM_FAILURES_METRIC}, and publishes every stored metric
 * after the invocation, success or failure. A consumer that throws fails the whole batch,
 * which Lambda's own `Errors` metric counts, so no failure count is added then.
 *
 * @example
 * export const handler = lambdaHandler({ logger, metrics }, createArchiveConsumer(options));
 */
export const lambdaHandler =
  (tools: HandlerTools, consumer: StreamHandler): StreamHandler =>
  async (event, context) => {
    if (context) tools.logger.addContext(context);
    try {
      const response = await consumer(event, context);
      tools.metrics.addMetric(
        BATCH_ITEM_FAILURES_METRIC,
        'Count',
        response.batchItemFailures.length,
      );
      return response;
    } finally {
      tools.metrics.publishStoredMetrics();
    }
  };
