/**
 * Lambda handler of the `archive-expired` consumer: archives items that DynamoDB's TTL
 * deleted to S3 as gzip JSON Lines. The logic lives in `@pipeline/archive`.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { createArchiveConsumer } from '@pipeline/archive';
import { EnvVar } from '@pipeline/pipeline';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const bucket = required(EnvVar.archiveBucket);
const prefix = process.env[EnvVar.archivePrefix] ?? '';
const tableName = process.env[EnvVar.tableName];
const s3Endpoint = process.env[EnvVar.s3Endpoint];

const logger = new Logger({ serviceName: 'archive-expired' });
const metrics = new Metrics({ namespace: 'StreamPipeline', serviceName: 'archive-expired' });
// Locally the archive is an S3-compatible server: path-style URLs, and it checks no
// signature, so any region and credentials do when the environment names none.
const s3 = new S3Client(
  s3Endpoint
    ? {
        endpoint: s3Endpoint,
        forcePathStyle: true,
        region: process.env.AWS_REGION ?? 'us-east-1',
        ...(process.env.AWS_ACCESS_KEY_ID
          ? {}
          : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      }
    : {},
);

const archive = createArchiveConsumer({ s3, bucket, prefix, tableName, logger, metrics });

/** Archives the TTL expiries of one stream batch; reports unacknowledged records for retry. */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  try {
    return await archive(event);
  } finally {
    metrics.publishStoredMetrics();
  }
};
