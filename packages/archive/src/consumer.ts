import { fromEnv } from '@aws-sdk/credential-provider-env';
import {
  Access,
  AGGREGATES_AND_ARCHIVE_READING,
  CONSUMER_DEFAULTS,
  type ConsumerModule,
  type Environment,
  EnvVar,
  requiredSetting,
  s3ClientConfig,
  TTL_USER_IDENTITY,
} from '@pipeline/pipeline';
import { type LogSink, type MetricsSink, processBatch } from '@pipeline/streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { RawImage } from './json.js';
import {
  type ArchiveObjectStore,
  createS3ObjectStore,
  type S3ObjectStoreOptions,
} from './object-store.js';
import { archiveExpired, type RawRecordParts } from './writer.js';

/** Settings of {@link createArchiveConsumer}. */
export interface ArchiveConsumerOptions {
  /** The bucket's objects (see {@link createS3ObjectStore}). */
  readonly objects: ArchiveObjectStore;
  readonly bucket: string;
  /**
   * Key prefix of the archive.
   * @default ''
   */
  readonly prefix?: string;
  /**
   * Table name for records whose stream ARN does not name one.
   * @default the table in each record's eventSourceARN
   */
  readonly tableName?: string;
  /** The function's Powertools Logger. */
  readonly logger?: LogSink;
  /** The function's Powertools Metrics; the processor adds batch counts. */
  readonly metrics?: MetricsSink;
}

/**
 * The Lambda handler of the `archive-expired` consumer: archives every TTL expiry of a
 * batch to S3 and reports, item by item, the records whose object S3 did not
 * acknowledge. Other removes, inserts and updates are ignored even if a filter lets them
 * through.
 *
 * @example
 * export const handler = createArchiveConsumer({ objects: createS3ObjectStore({ region, credentials: fromEnv() }), bucket: 'my-archive', prefix: 'archive' });
 */
export const createArchiveConsumer =
  (options: ArchiveConsumerOptions) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const raw = new Map<string, RawRecordParts>();
    for (const record of event.Records) {
      if (record.eventID === undefined) continue;
      raw.set(record.eventID, {
        oldImage: record.dynamodb?.OldImage as RawImage | undefined,
        eventSourceARN: record.eventSourceARN,
      });
    }
    return processBatch(
      event,
      async (changes, ctx) => {
        const result = await archiveExpired(changes, (change) => raw.get(change.eventID), {
          objects: options.objects,
          bucket: options.bucket,
          prefix: options.prefix ?? '',
          tableName: options.tableName,
        });
        const records = result.written.reduce((sum, object) => sum + object.records, 0);
        if (result.written.length > 0) {
          ctx.logger.info('archived expired items', {
            objects: result.written.length,
            records,
            alreadyPresent: result.written.filter((object) => object.alreadyPresent).length,
          });
        }
        return { failures: result.failures };
      },
      { logger: options.logger, metrics: options.metrics },
    );
  };

/**
 * The archive's S3 as the function's environment names it: the Region and the execution
 * role's credentials Lambda sets, or the local archive named by `S3_ENDPOINT`.
 */
const objectStoreOf = (env: Environment): ArchiveObjectStore => {
  const config: Partial<S3ObjectStoreOptions> = s3ClientConfig(env);
  return createS3ObjectStore({
    ...config,
    region: config.region ?? requiredSetting(env, 'AWS_REGION'),
    credentials: config.credentials ?? fromEnv(),
  });
};

/**
 * The `archive-expired` consumer: its mapping settings, its filter (deletions by DynamoDB's
 * TTL service), its access, its factory ({@link createArchiveConsumer}) and its Lambda
 * function's wiring.
 */
export const archiveExpiredConsumer: ConsumerModule<ArchiveConsumerOptions> = {
  definition: {
    ...CONSUMER_DEFAULTS,
    ...AGGREGATES_AND_ARCHIVE_READING,
    name: 'archive-expired',
    description: 'Archives every item that DynamoDB deleted through TTL to S3.',
    handler: 'functions/archive-expired.ts',
    filters: [
      {
        userIdentity: {
          type: [TTL_USER_IDENTITY.type],
          principalId: [TTL_USER_IDENTITY.principalId],
        },
      },
    ],
    access: [Access.writeArchive],
  },
  create: createArchiveConsumer,
  fromEnvironment: (env, { logger, metrics }) =>
    createArchiveConsumer({
      objects: objectStoreOf(env),
      bucket: requiredSetting(env, EnvVar.archiveBucket),
      prefix: env[EnvVar.archivePrefix] ?? '',
      tableName: env[EnvVar.tableName],
      logger,
      metrics,
    }),
};
