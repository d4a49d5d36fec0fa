/**
 * Lambda handler of the `archive-expired` consumer: archives items that DynamoDB's TTL
 * deleted to S3 as gzip JSON Lines. The logic lives in `@pipeline/archive`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { createArchiveConsumer } from '@pipeline/archive';
import {
  EnvVar,
  lambdaHandler,
  METRICS_NAMESPACE,
  requiredSetting,
  s3ClientConfig,
} from '@pipeline/pipeline';

const env = process.env;
const logger = new Logger({ serviceName: 'archive-expired' });
const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'archive-expired' });

/** Archives the TTL expiries of one stream batch; reports unacknowledged records for retry. */
export const handler = lambdaHandler(
  { logger, metrics },
  createArchiveConsumer({
    s3: new S3Client(s3ClientConfig(env)),
    bucket: requiredSetting(env, EnvVar.archiveBucket),
    prefix: env[EnvVar.archivePrefix] ?? '',
    tableName: env[EnvVar.tableName],
    logger,
    metrics,
  }),
);
