/**
 * The deployment's settings, read from CDK context (`-c key=value` or cdk.json). Each
 * has a default that deploys a complete development stack.
 */
import { InfraSettingError } from './errors.js';

/** Deployment stages; `prod` turns on retention, deletion protection and zone awareness. */
export const Stage = { dev: 'dev', prod: 'prod' } as const;

/** One of the values of {@link Stage}. */
export type Stage = (typeof Stage)[keyof typeof Stage];

/** Where the search documents go. */
export type SearchTarget =
  /** The stack creates an Amazon OpenSearch Service domain. */
  | { readonly kind: 'domain'; readonly domainName: string; readonly masterUserArn?: string }
  /** An Amazon OpenSearch Service domain that already exists. */
  | { readonly kind: 'existingDomain'; readonly endpoint: string; readonly domainArn: string }
  /** An OpenSearch Serverless collection. */
  | { readonly kind: 'serverless'; readonly endpoint: string; readonly collectionArn: string };

/** Everything a deployment may choose. */
export interface PipelineSettings {
  readonly stage: Stage;
  /** Encrypt tables, bucket and queues with one customer-managed KMS key. */
  readonly customerManagedKey: boolean;
  /** Key prefix of the archive objects. */
  readonly archivePrefix: string;
  /** Days after which archive objects expire; undefined keeps them forever. */
  readonly archiveExpiryDays: number | undefined;
  readonly logRetentionDays: number;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly search: SearchTarget;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail: string | undefined;
  /** Deploy the HTTP API (API Gateway, IAM-authorised) in front of the route table. */
  readonly httpApi: boolean;
  /** Run the search domain and every function in a VPC of private isolated subnets. */
  readonly vpc: boolean;
}

/** Archive objects move to Glacier Instant Retrieval after this many days. */
export const ARCHIVE_TRANSITION_DAYS = 90;

// The retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

/** Reads one context value; undefined when unset. */
export type ContextReader = (key: string) => unknown;

const text = (read: ContextReader, key: string): string | undefined => {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new InfraSettingError(key, `must be a string, got ${JSON.stringify(value)}`);
  }
  return String(value);
};

const flag = (read: ContextReader, key: string, fallback = false): boolean => {
  const value = text(read, key);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') {
    throw new InfraSettingError(key, `must be true or false, got "${value}"`);
  }
  return value === 'true';
};

const integer = (read: ContextReader, key: string): number | undefined => {
  const value = text(read, key);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value))
    throw new InfraSettingError(key, `must be a whole number, got "${value}"`);
  return Number(value);
};

const arn = (read: ContextReader, key: string, service: string): string | undefined => {
  const value = text(read, key);
  if (value !== undefined && !new RegExp(`^arn:[a-z-]+:${service}:`).test(value)) {
    throw new InfraSettingError(key, `must be an ${service} ARN, got "${value}"`);
  }
  return value;
};

const httpsUrl = (read: ContextReader, key: string): string | undefined => {
  const value = text(read, key);
  if (value !== undefined && !/^https:\/\/[^/\s]+\/?$/.test(value)) {
    throw new InfraSettingError(key, `must be an https:// base URL, got "${value}"`);
  }
  return value?.replace(/\/$/, '');
};

const readSearch = (read: ContextReader, stage: Stage): SearchTarget => {
  const endpoint = httpsUrl(read, 'searchEndpoint');
  const domainArn = arn(read, 'searchDomainArn', 'es');
  const collectionArn = arn(read, 'searchCollectionArn', 'aoss');
  const masterUserArn = arn(read, 'searchMasterUserArn', 'iam');
  if (domainArn && collectionArn) {
    throw new InfraSettingError(
      'searchCollectionArn',
      'cannot be set together with searchDomainArn',
    );
  }
  if (domainArn || collectionArn) {
    if (!endpoint) {
      throw new InfraSettingError(
        'searchEndpoint',
        'is required with an existing domain or collection',
      );
    }
    if (masterUserArn) {
      throw new InfraSettingError(
        'searchMasterUserArn',
        'applies only to a domain this stack creates',
      );
    }
    return domainArn
      ? { kind: 'existingDomain', endpoint, domainArn }
      : { kind: 'serverless', endpoint, collectionArn: collectionArn! };
  }
  if (endpoint) {
    throw new InfraSettingError('searchEndpoint', 'needs searchDomainArn or searchCollectionArn');
  }
  const domainName = text(read, 'searchDomainName') ?? `pipeline-search-${stage}`;
  if (!/^[a-z][a-z0-9-]{2,27}$/.test(domainName)) {
    throw new InfraSettingError(
      'searchDomainName',
      `must be 3 to 28 characters of a-z, 0-9 and -, starting with a letter, got "${domainName}"`,
    );
  }
  return masterUserArn
    ? { kind: 'domain', domainName, masterUserArn }
    : { kind: 'domain', domainName };
};

/**
 * Reads and validates the deployment's settings.
 *
 * @example
 * const settings = readSettings((key) => app.node.tryGetContext(key));
 */
export const readSettings = (read: ContextReader): PipelineSettings => {
  const stage = text(read, 'stage') ?? Stage.dev;
  if (stage !== Stage.dev && stage !== Stage.prod) {
    throw new InfraSettingError('stage', `must be dev or prod, got "${stage}"`);
  }
  const archiveExpiryDays = integer(read, 'archiveExpiryDays');
  if (archiveExpiryDays !== undefined && archiveExpiryDays <= ARCHIVE_TRANSITION_DAYS) {
    throw new InfraSettingError(
      'archiveExpiryDays',
      `must be more than ${ARCHIVE_TRANSITION_DAYS}: objects move to Glacier Instant Retrieval then, and it bills 90 days at least`,
    );
  }
  const logRetentionDays = integer(read, 'logRetentionDays') ?? (stage === Stage.prod ? 90 : 30);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    throw new InfraSettingError(
      'logRetentionDays',
      `must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${logRetentionDays}`,
    );
  }
  const logLevel = text(read, 'logLevel') ?? 'INFO';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new InfraSettingError('logLevel', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const archivePrefix = (text(read, 'archivePrefix') ?? 'archive').replace(/^\/+|\/+$/g, '');
  if (!/^[A-Za-z0-9!_.*'()/-]+$/.test(archivePrefix)) {
    throw new InfraSettingError(
      'archivePrefix',
      `must be a non-empty S3 key prefix, got "${archivePrefix}"`,
    );
  }
  return {
    stage,
    customerManagedKey: flag(read, 'kms'),
    archivePrefix,
    archiveExpiryDays,
    logRetentionDays,
    logLevel: logLevel as PipelineSettings['logLevel'],
    search: readSearch(read, stage),
    alarmEmail: text(read, 'alarmEmail'),
    // The API costs nothing while idle and answers only SigV4-signed callers, so it is on by default.
    httpApi: flag(read, 'httpApi', true),
    vpc: flag(read, 'vpc', stage === Stage.prod),
  };
};
