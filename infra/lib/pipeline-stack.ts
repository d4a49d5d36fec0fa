/** The whole pipeline in one stack, built from `@pipeline/model` and `@pipeline/pipeline`. */

import { mappings } from '@pipeline/consumers';
import { aggregatesTable, mainTable } from '@pipeline/model';
import {
  ACCESS_ACTIONS,
  Access,
  accessEnvironment,
  type ConsumerDefinition,
  mappingFunction,
  validateStreamReaders,
} from '@pipeline/pipeline';
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { ArchiveBucket } from './constructs/archive-bucket.js';
import { FailureBucket } from './constructs/failure-bucket.js';
import { PipelineHttpApi } from './constructs/http-api.js';
import { PipelineMonitoring } from './constructs/monitoring.js';
import { PipelineNetwork } from './constructs/network.js';
import { SearchDomain } from './constructs/search-domain.js';
import { SearchSetup } from './constructs/search-setup.js';
import { StreamConsumerFunction } from './constructs/stream-consumer.js';
import { PipelineTable } from './constructs/table.js';
import {
  ARCHIVE_TRANSITION_DAYS,
  type PipelineSettings,
  type SearchTarget,
  Stage,
} from './settings.js';

/** Props of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  readonly settings: PipelineSettings;
  /**
   * The functions to deploy, each with its event source mapping on the main table's stream;
   * at most two, as DynamoDB Streams serves two readers per shard.
   * @default one per mapping of the pipeline definition (`mappingFunction`)
   */
  readonly consumers?: readonly ConsumerDefinition[];
  /**
   * Resolves a consumer's handler module.
   * @default the definition's `handler` under the repository root
   */
  readonly entryOf?: (consumer: ConsumerDefinition) => string | undefined;
}

/**
 * Tables, search, archive, one {@link StreamConsumerFunction} per consumer with exactly the
 * grants its `access` list names, and the alarms over them.
 *
 * @example
 * new PipelineStack(app, 'StreamPipeline-dev', { settings: readSettings((key) => app.node.tryGetContext(key)) });
 */
export class PipelineStack extends Stack {
  readonly mainTable: PipelineTable;
  readonly aggregatesTable: PipelineTable;
  readonly archive: ArchiveBucket;
  readonly search: SearchDomain | undefined;
  /** The setup step of a domain this stack creates: templates, indices, aliases, writer role. */
  readonly searchSetup: SearchSetup | undefined;
  readonly consumers: readonly StreamConsumerFunction[];
  readonly monitoring: PipelineMonitoring;
  readonly encryptionKey: kms.Key | undefined;
  /** The S3 on-failure destination of mappings whose `onFailure` is `bucket`. */
  readonly failureBucket: FailureBucket | undefined;
  /** The VPC the domain and every function run in, with the `vpc` setting. */
  readonly network: PipelineNetwork | undefined;
  /** The IAM-authorised HTTP API, with the `httpApi` setting. */
  readonly httpApi: PipelineHttpApi | undefined;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const production = settings.stage === Stage.prod;

    this.encryptionKey = settings.customerManagedKey
      ? new kms.Key(this, 'DataKey', {
          description: 'Encrypts the pipeline tables, archive and dead-letter queues.',
          enableKeyRotation: true,
          pendingWindow: Duration.days(30),
        })
      : undefined;
    const encryptionKey = this.encryptionKey;

    this.mainTable = new PipelineTable(this, 'MainTable', {
      declaration: mainTable,
      retain: production,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    this.aggregatesTable = new PipelineTable(this, 'AggregatesTable', {
      declaration: aggregatesTable,
      retain: production,
      ...(encryptionKey ? { encryptionKey } : {}),
    });
    this.archive = new ArchiveBucket(this, 'Archive', {
      prefix: settings.archivePrefix,
      transitionAfterDays: ARCHIVE_TRANSITION_DAYS,
      ...(settings.archiveExpiryDays ? { expireAfterDays: settings.archiveExpiryDays } : {}),
      ...(encryptionKey ? { encryptionKey } : {}),
    });

    this.network = settings.vpc
      ? new PipelineNetwork(this, 'Network', {
          logRetentionDays: settings.logRetentionDays,
          destroyOnRemoval: !production,
        })
      : undefined;
    const placement = this.network ? { placement: this.network.functionPlacement } : {};

    const definitions = props.consumers ?? mappings.map(mappingFunction);
    validateStreamReaders(definitions.map((definition) => definition.name));
    this.failureBucket = definitions.some((definition) => definition.onFailure === 'bucket')
      ? new FailureBucket(this, 'Failures', {
          accessLogs: this.archive.accessLogs,
          ...(encryptionKey ? { encryptionKey } : {}),
        })
      : undefined;
    this.consumers = definitions.map((definition) => {
      const entry = props.entryOf?.(definition);
      return new StreamConsumerFunction(this, pascalCase(definition.name), {
        definition,
        table: this.mainTable.table,
        ...(entry ? { entry } : {}),
        logRetentionDays: settings.logRetentionDays,
        logLevel: settings.logLevel,
        ...(encryptionKey ? { encryptionKey } : {}),
        destroyOnRemoval: !production,
        ...placement,
        ...(this.failureBucket ? { onFailureBucket: this.failureBucket.bucket } : {}),
      });
    });

    const searchWriters = this.consumers.filter((consumer) =>
      consumer.definition.access.includes(Access.writeSearch),
    );
    this.search =
      searchWriters.length > 0
        ? new SearchDomain(this, 'Search', {
            target: settings.search,
            writers: searchWriters.map((consumer) => consumer.role),
            production,
            logRetentionDays: settings.logRetentionDays,
            ...(this.network ? { vpc: this.network.domainPlacement } : {}),
          })
        : undefined;

    // Before the setup, which maps the API's role to the search reader role.
    this.httpApi =
      settings.httpApi && this.search
        ? new PipelineHttpApi(this, 'HttpApi', {
            mainTable: this.mainTable.table,
            aggregatesTable: this.aggregatesTable.table,
            search: {
              endpointUrl: this.search.endpointUrl,
              signingService: this.search.signingService,
              resourceArn: searchResourceArn(settings.search, this.search),
            },
            logRetentionDays: settings.logRetentionDays,
            logLevel: settings.logLevel,
            destroyOnRemoval: !production,
            ...placement,
          })
        : undefined;

    this.searchSetup = this.search?.domain
      ? new SearchSetup(this, 'SearchSetup', {
          search: this.search,
          writers: searchWriters.map((consumer) => consumer.role),
          ...(this.httpApi ? { readers: [this.httpApi.role] } : {}),
          table: this.mainTable,
          logRetentionDays: settings.logRetentionDays,
          logLevel: settings.logLevel,
          destroyOnRemoval: !production,
          ...placement,
        })
      : undefined;
    // The writers start reading the stream once the aliases exist, never before.
    for (const writer of searchWriters)
      if (this.searchSetup) writer.function.node.addDependency(this.searchSetup.resource);

    for (const consumer of this.consumers) this.grantAccess(consumer);

    if (this.network) {
      const attached = [...this.consumers, this.httpApi, this.searchSetup].flatMap((owner) =>
        owner ? [owner.function] : [],
      );
      for (const fn of attached) this.network.grantNetworkInterfaces(fn.role!);
    }

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      consumers: this.consumers,
      tables: { main: this.mainTable, aggregates: this.aggregatesTable },
      ...(this.search?.domain
        ? { domain: this.search.domain, domainVolumeGiB: this.search.volumeSizeGiB }
        : {}),
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });

    new CfnOutput(this, 'MainTableName', { value: this.mainTable.table.tableName });
    new CfnOutput(this, 'AggregatesTableName', { value: this.aggregatesTable.table.tableName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    if (this.search) new CfnOutput(this, 'SearchEndpoint', { value: this.search.endpointUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    if (this.httpApi) new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url });
  }

  /** Grants exactly what the consumer's `access` list names, with the environment to use it. */
  private grantAccess(consumer: StreamConsumerFunction): void {
    const { role } = consumer;
    for (const access of consumer.definition.access) {
      switch (access) {
        case Access.readMainTable:
          this.mainTable.grant(role, ACCESS_ACTIONS.readMainTable);
          break;
        case Access.writeAggregates:
          this.aggregatesTable.grant(role, ACCESS_ACTIONS.writeAggregates);
          break;
        case Access.writeArchive:
          this.archive.grantObjects(role, ACCESS_ACTIONS.writeArchive);
          break;
        case Access.writeSearch:
          this.search!.grantIndexWrite(role);
          break;
        default:
          assertNever(access);
      }
    }
    const environment = accessEnvironment(consumer.definition.access, {
      tableName: this.mainTable.table.tableName,
      aggregatesTableName: this.aggregatesTable.table.tableName,
      archiveBucket: this.archive.bucket.bucketName,
      archivePrefix: this.archive.prefix,
      search: {
        url: this.search?.endpointUrl ?? '',
        signingService: this.search?.signingService ?? '',
      },
    });
    for (const [name, value] of Object.entries(environment)) consumer.addEnvironment(name, value);
  }
}

/** The ARN the API's search grant names: the domain this stack made, or the one given. */
const searchResourceArn = (target: SearchTarget, search: SearchDomain): string => {
  if (target.kind === 'serverless') return target.collectionArn;
  if (target.kind === 'existingDomain') return target.domainArn;
  return search.domain!.domainArn;
};

const pascalCase = (name: string): string =>
  name.replace(/(^|-)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());

const assertNever = (value: never): never => {
  throw new Error(`unhandled access ${String(value)}`);
};
