export { bundleSubstitutes, consumerBundling, esbuildOptions } from './bundling.js';
export { forEachLimited } from './concurrency.js';
export { consumerLambdaHandler } from './consumer-handler.js';
export { type AccessResources, accessEnvironment, EnvVar } from './env.js';
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
  type Environment,
  type HandlerTools,
  LOCAL_AWS,
  lambdaHandler,
  METRICS_NAMESPACE,
  openSearchClientConfig,
  requiredSetting,
  type StreamHandler,
  s3ClientConfig,
} from './runtime-config.js';
export {
  AGGREGATES_AND_ARCHIVE_READING,
  CONSUMER_DEFAULTS,
  entityTypeFilters,
} from './settings.js';
export { TTL_USER_IDENTITY } from './ttl.js';
export {
  ACCESS_ACTIONS,
  Access,
  type ConsumerDefinition,
  type ConsumerModule,
  type ConsumerTools,
  type FilterPattern,
  type MappingDefinition,
} from './types.js';
export {
  MAX_READERS_PER_SHARD,
  mappingFunction,
  STREAM_RETENTION_SECONDS,
  UNLIMITED,
  validateConsumer,
  validateMappings,
  validatePipeline,
  validateStreamReaders,
} from './validate.js';
