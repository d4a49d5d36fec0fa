/** The S3 on-failure destination of the event source mappings whose `onFailure` is `bucket`. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { privateBucketProps } from './private-bucket.js';

/**
 * How long a skipped batch stays replayable: well past the stream's 24 h retention, which
 * is why a bucket destination exists, and as long as the SQS queues keep theirs at most.
 */
export const FAILURE_RETENTION_DAYS = 30;

/** Props of {@link FailureBucket}. */
export interface FailureBucketProps {
  /** Where the bucket's server access logs go. */
  readonly accessLogs: s3.IBucket;
  /**
   * Customer-managed key for SSE-KMS.
   * @default SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A private, SSL-only bucket that Lambda writes each skipped batch to, metadata and
 * records, under `aws/lambda/`; `replay --bucket` delivers them again. Objects expire after
 * {@link FAILURE_RETENTION_DAYS}; the bucket is retained on stack deletion, since what it
 * holds was not applied anywhere.
 *
 * @example
 * const failures = new FailureBucket(this, 'Failures', { accessLogs: archive.accessLogs });
 */
export class FailureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: FailureBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...privateBucketProps(props.encryptionKey),
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'failure-bucket/',
      lifecycleRules: [
        {
          id: 'expire-replayed-window',
          expiration: Duration.days(FAILURE_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
