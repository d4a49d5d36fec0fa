/**
 * Environment variables the handlers read, named once for the CDK app, the local
 * launcher and the handlers.
 */
export const EnvVar = {
  tableName: 'TABLE_NAME',
  aggregatesTableName: 'AGGREGATES_TABLE_NAME',
  /** Unset in AWS; set to DynamoDB Local's endpoint locally. */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  /** The search domain's base URL, `https://…` in AWS, the local server's URL locally. */
  openSearchUrl: 'OPENSEARCH_URL',
  /** `true` to sign OpenSearch requests with SigV4 (Amazon OpenSearch Service). */
  openSearchSigV4: 'OPENSEARCH_SIGV4',
  /** `es` for a managed domain, `aoss` for OpenSearch Serverless. */
  openSearchService: 'OPENSEARCH_SERVICE',
  archiveBucket: 'ARCHIVE_BUCKET',
  archivePrefix: 'ARCHIVE_PREFIX',
  /** Unset in AWS; the local archive's S3-compatible endpoint locally. */
  s3Endpoint: 'S3_ENDPOINT',
} as const;
