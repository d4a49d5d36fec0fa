/** The S3 bucket that keeps every TTL expiry, with its access-log bucket. */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag.js';

/** Props of {@link ArchiveBucket}. */
export interface ArchiveBucketProps {
  /** Key prefix under which the archive consumer writes. */
  readonly prefix: string;
  /** Days after which objects move to Glacier Instant Retrieval. */
  readonly transitionAfterDays: number;
  /**
   * Days after which objects expire.
   * @default never
   */
  readonly expireAfterDays?: number;
  /**
   * Customer-managed key for SSE-KMS.
   * @default SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A private, versioned, SSL-only archive bucket whose objects age into Glacier Instant
 * Retrieval. Both buckets are retained on stack deletion: an archive outlives its stack.
 *
 * @example
 * const archive = new ArchiveBucket(this, 'Archive', { prefix: 'archive', transitionAfterDays: 90 });
 * archive.grantWriteArchive(fn.role);
 */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Server access logging delivers only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it to another bucket would recurse.',
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      ...(props.encryptionKey
        ? {
            encryption: s3.BucketEncryption.KMS,
            encryptionKey: props.encryptionKey,
            bucketKeyEnabled: true,
          }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'archive-bucket/',
      lifecycleRules: [
        {
          id: 'age-into-glacier-ir',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.transitionAfterDays),
            },
          ],
          ...(props.expireAfterDays ? { expiration: Duration.days(props.expireAfterDays) } : {}),
          // Objects are written once and never replaced, so old versions come only from deletes.
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The ARN pattern of every object under the archive prefix. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${this.prefix}/*`);
  }

  /**
   * Lets `grantee` put objects under the archive prefix, and read them back: a conditional
   * put that answers 412 is verified by reading the object already there.
   */
  grantWriteArchive(grantee: iam.IGrantable): iam.Grant {
    this.bucket.encryptionKey?.grant(grantee, 'kms:Decrypt', 'kms:GenerateDataKey');
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResources(
        grantee.grantPrincipal,
        [this.objectsArn],
        'Archive object keys are content hashes under the archive prefix, so the grant names the prefix, not keys.',
      );
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:GetObject'],
      resourceArns: [this.objectsArn],
    });
  }
}
