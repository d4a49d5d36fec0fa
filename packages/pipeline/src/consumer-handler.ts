import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  type Environment,
  lambdaHandler,
  METRICS_NAMESPACE,
  type StreamHandler,
} from './runtime-config.js';
import type { ConsumerModule } from './types.js';

/**
 * The Lambda handler of a consumer's own function: a Powertools Logger and Metrics named
 * after the consumer, and its handler built from the function's environment, wrapped by
 * {@link lambdaHandler}.
 *
 * @example
 * export const handler = consumerLambdaHandler(archiveExpired);
 */
export const consumerLambdaHandler = <Options>(
  consumer: ConsumerModule<Options>,
  env: Environment = process.env,
): StreamHandler => {
  const serviceName = consumer.definition.name;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return lambdaHandler({ logger, metrics }, consumer.fromEnvironment(env, { logger, metrics }));
};
