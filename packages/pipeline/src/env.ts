import { Access } from './types.js';

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

/** Where the resources a consumer's {@link Access} names are, for {@link accessEnvironment}. */
export interface AccessResources {
  readonly tableName: string;
  readonly aggregatesTableName: string;
  readonly archiveBucket: string;
  readonly archivePrefix: string;
  readonly search: {
    readonly url: string;
    /** Amazon OpenSearch Service signs with SigV4 under `es` (a domain) or `aoss` (serverless); a local node takes no signature. */
    readonly signingService?: string;
  };
}

/**
 * The environment a function with these accesses reads, and nothing more: the CDK app sets
 * it on each function, the local stack on its sandboxes. Every function gets the main
 * table's name, which the archive writes into its records.
 *
 * @example
 * const environment = accessEnvironment(consumerNamed('archive-expired').access, resources);
 */
export const accessEnvironment = (
  access: readonly Access[],
  resources: AccessResources,
): Record<string, string> => {
  const environment: Record<string, string> = { [EnvVar.tableName]: resources.tableName };
  for (const granted of access) {
    switch (granted) {
      case Access.readMainTable:
        break;
      case Access.writeAggregates:
        environment[EnvVar.aggregatesTableName] = resources.aggregatesTableName;
        break;
      case Access.writeArchive:
        environment[EnvVar.archiveBucket] = resources.archiveBucket;
        environment[EnvVar.archivePrefix] = resources.archivePrefix;
        break;
      case Access.writeSearch:
        environment[EnvVar.openSearchUrl] = resources.search.url;
        if (resources.search.signingService) {
          environment[EnvVar.openSearchSigV4] = 'true';
          environment[EnvVar.openSearchService] = resources.search.signingService;
        }
        break;
      default: {
        const unknown: never = granted;
        throw new Error(`no environment for access ${String(unknown)}`);
      }
    }
  }
  return environment;
};
