/** The S3 bucket that keeps every TTL expiry, with its access-log bucket. */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag.js';
import { privateBucketProps } from './private-bucket.js';

/** An object-level S3 action, as IAM names it. */
export type S3ObjectAction = `s3:${string}`;

// Published us-east-1 list prices (aws.amazon.com/s3/pricing), in USD. A GB is 2^30 bytes.
/** S3 Standard storage, first 50 TB, per GB-month. */
const STANDARD_PER_GB_MONTH = 0.023;
/** S3 Glacier Instant Retrieval storage, per GB-month. */
const GLACIER_IR_PER_GB_MONTH = 0.004;
/** One lifecycle transition request into Glacier Instant Retrieval ($0.02 per 1,000). */
const GLACIER_IR_TRANSITION_PER_REQUEST = 0.02 / 1000;
/** Glacier Instant Retrieval bills every object as at least 128 KB. */
const GLACIER_IR_MINIMUM_BILLABLE_BYTES = 128 * 1024;
/** The time a transition must pay for itself in: the archive is kept for years. */
const PAYBACK_MONTHS = 36;
const BYTES_PER_GB = 2 ** 30;

/**
 * The object size above which moving to Glacier Instant Retrieval is cheaper within
 * {@link PAYBACK_MONTHS}. An object of `s` bytes (below 128 KB) costs
 * `s × 0.023 × m` in Standard over `m` months, and `0.00002 + 128 KB × 0.004 × m` once moved,
 * since Glacier IR bills it as 128 KB; the two are equal at
 * `s = (0.00002 + 128 KB × 0.004 × m) / (0.023 × m)`: about 47.6 KiB for three years (22.3 KiB
 * if kept forever). Smaller objects stay in Standard, where they cost less. S3 moves no object
 * under 128 KB to Glacier IR unless a rule says so with a size filter, so the rule carries
 * this one. Derivation: docs/deploy.md, "Archive storage classes".
 */
export const GLACIER_IR_BREAK_EVEN_BYTES = Math.ceil(
  ((GLACIER_IR_TRANSITION_PER_REQUEST +
    (GLACIER_IR_MINIMUM_BILLABLE_BYTES / BYTES_PER_GB) * GLACIER_IR_PER_GB_MONTH * PAYBACK_MONTHS) /
    (STANDARD_PER_GB_MONTH * PAYBACK_MONTHS)) *
    BYTES_PER_GB,
);

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
 * A private, versioned, SSL-only archive bucket whose objects larger than
 * {@link GLACIER_IR_BREAK_EVEN_BYTES} age into Glacier Instant Retrieval. Both buckets are
 * retained on stack deletion: an archive outlives its stack.
 *
 * @example
 * const archive = new ArchiveBucket(this, 'Archive', { prefix: 'archive', transitionAfterDays: 90 });
 * archive.grantObjects(fn.role, ['s3:PutObject', 's3:GetObject']);
 */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      // Server access logging delivers only to SSE-S3 buckets.
      ...privateBucketProps(),
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...privateBucketProps(props.encryptionKey),
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'archive-bucket/',
      lifecycleRules: [
        {
          // A rule's filter scopes every action in it, so the size filter has a rule of its
          // own: expiry and clean-up below reach the small objects too.
          id: 'age-into-glacier-ir',
          objectSizeGreaterThan: GLACIER_IR_BREAK_EVEN_BYTES,
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.transitionAfterDays),
            },
          ],
        },
        {
          id: 'expire-and-clean-up',
          ...(props.expireAfterDays ? { expiration: Duration.days(props.expireAfterDays) } : {}),
          // Objects are written once and never replaced, so old versions come only from deletes.
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudFormation takes the size as a string of digits; the L2 writes a number.
    (this.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
      'LifecycleConfiguration.Rules.0.ObjectSizeGreaterThan',
      String(GLACIER_IR_BREAK_EVEN_BYTES),
    );
  }

  /** The ARN pattern of every object under the archive prefix. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${this.prefix}/*`);
  }

  /**
   * Lets `grantee` make exactly `actions` on the objects under the archive prefix; nothing is
   * added. With a customer-managed key, reads get `kms:Decrypt` and writes
   * `kms:GenerateDataKey` too.
   */
  grantObjects(grantee: iam.IGrantable, actions: readonly S3ObjectAction[]): iam.Grant {
    const writes = actions.some((action) => !action.startsWith('s3:Get'));
    this.bucket.encryptionKey?.grant(
      grantee,
      ...(writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt']),
    );
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResources(
        grantee.grantPrincipal,
        [this.objectsArn],
        'Archive object keys are content hashes under the archive prefix, so the grant names the prefix, not keys.',
      );
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: [this.objectsArn],
    });
  }
}
