export { bundleSubstitutes, consumerBundling, esbuildOptions } from './bundling.js';
export { consumerNamed, mappingNamed, mappingOf, mappings, pipeline } from './definition.js';
export { accessEnvironment, EnvVar } from './env.js';
export { PipelineDefinitionError } from './errors.js';
export {
  backoffDelayMs,
  RetriesExhaustedError,
  type RetryPolicy,
  retry,
  retryPolicy,
} from './retry.js';
export {
  BATCH_ITEM_FAILURES_METRIC,
  dynamoDbClientConfig,
  LOCAL_AWS,
  lambdaHandler,
  METRICS_NAMESPACE,
  openSearchClientConfig,
  requiredSetting,
  s3ClientConfig,
} from './runtime-config.js';
export { TTL_USER_IDENTITY } from './ttl.js';
export { ACCESS_ACTIONS, Access, type ConsumerDefinition, type FilterPattern } from './types.js';
export {
  MAX_READERS_PER_SHARD,
  mappingFunction,
  STREAM_RETENTION_SECONDS,
  UNLIMITED,
  validateConsumer,
  validateStreamReaders,
} from './validate.js';
