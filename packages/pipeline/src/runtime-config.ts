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
 * Wraps a stream handler so the metrics it stored are published after every invocation,
 * success or failure.
 */
export const publishingMetrics =
  <Event, Result>(
    metrics: { publishStoredMetrics(): void },
    handler: (event: Event) => Promise<Result>,
  ) =>
  async (event: Event): Promise<Result> => {
    try {
      return await handler(event);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
