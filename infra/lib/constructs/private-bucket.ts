/** The settings every bucket of the stack shares, written once. */
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * A private bucket: public access blocked, TLS only, objects owned by the bucket owner (no
 * ACLs), encrypted with SSE-KMS under `encryptionKey` (with an S3 bucket key, so KMS is
 * called per bucket key rather than per object) or else with SSE-S3.
 *
 * @example
 * new s3.Bucket(this, 'Bucket', { ...privateBucketProps(key), versioned: true });
 */
export const privateBucketProps = (encryptionKey?: kms.IKey) =>
  ({
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ...(encryptionKey
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
  }) satisfies s3.BucketProps;
