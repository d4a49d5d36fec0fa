import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mappings, pipeline } from '@pipeline/consumers';
import { aggregatesTable, mainTable } from '@pipeline/model';
import { Access, EnvVar, mappingFunction } from '@pipeline/pipeline';
import type { App, CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlarmThreshold } from '../../infra/lib/constructs/monitoring.js';
import {
  SEARCH_WRITE_ACTIONS,
  SEARCH_WRITE_PATHS,
} from '../../infra/lib/constructs/search-domain.js';
import type { StreamConsumerFunction } from '../../infra/lib/constructs/stream-consumer.js';
import type { PipelineStack } from '../../infra/lib/pipeline-stack.js';
import { roleStatements, type Statement } from './policies.js';
import { blockAllPublicAccess } from './resources.js';
import { type Synthesised, synthesise } from './synth.js';

let synthesised: Synthesised;
let stack: PipelineStack;
let template: Template;

beforeAll(() => {
  synthesised = synthesise({}, true);
  ({ stack, template } = synthesised);
}, 120_000);

const logicalId = (construct: IConstruct): string =>
  stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement)) as string;

/** The provider framework's functions, which the search setup adds beside the consumers. */
const providerFunctionIds = (): string[] =>
  stack
    .searchSetup!.node.findAll()
    .filter((construct) => construct instanceof CfnFunction)
    .map((construct) => stack.resolve(stack.getLogicalId(construct as CfnElement)) as string)
    .filter((id) => id !== logicalId(stack.searchSetup!.function));

/** Every function but the search setup's own two and the HTTP API's. */
const consumerFunctionIds = (): string[] =>
  Object.keys(template.findResources('AWS::Lambda::Function')).filter(
    (id) =>
      !providerFunctionIds().includes(id) &&
      id !== logicalId(stack.searchSetup!.function) &&
      id !== logicalId(stack.httpApi!.function),
  );

const consumerNamed = (name: string): StreamConsumerFunction =>
  stack.consumers.find((consumer) => consumer.definition.name === name)!;

const statementsOf = (roleLogicalId: string): Statement[] =>
  roleStatements(template, roleLogicalId);

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

describe('tables', () => {
  it('builds the main table from the model: keys, GSI1, sparse GSI2, TTL, stream, PITR, on demand', () => {
    const gsis = mainTable.globalSecondaryIndexes;
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: mainTable.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: mainTable.sortKey.name, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: gsis.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      TimeToLiveSpecification: { AttributeName: mainTable.timeToLiveAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
    });
    expect(gsis.map((index) => index.indexName)).toEqual(['GSI1', 'GSI2']);
  });

  it('gives the aggregates table no stream, so the pipeline never consumes its own writes', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    const aggregates = tables.filter((table) => !table.Properties.GlobalSecondaryIndexes);
    expect(aggregates).toHaveLength(1);
    expect(aggregates[0]!.Properties.StreamSpecification).toBeUndefined();
    expect(aggregates[0]!.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: aggregatesTable.timeToLiveAttribute,
      Enabled: true,
    });
    expect(aggregates[0]!.Properties.PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: true,
    });
  });

  it('lets a development stack delete its tables', () => {
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });
});

const functions = mappings.map(mappingFunction);

describe('consumers', () => {
  it('deploys one function per event source mapping of the pipeline definition', () => {
    expect(stack.consumers.map((consumer) => consumer.definition.name)).toEqual(
      mappings.map((mapping) => mapping.name),
    );
    expect(consumerFunctionIds()).toHaveLength(mappings.length);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', mappings.length);
  });

  it('reads the table stream with at most two mappings, as DynamoDB Streams serves two readers per shard', () => {
    const readers = new Map<string, number>();
    for (const mapping of Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping'),
    )) {
      const source = JSON.stringify(mapping.Properties.EventSourceArn);
      readers.set(source, (readers.get(source) ?? 0) + 1);
    }
    expect([...readers.values()]).toEqual([2]);
    // Every consumer runs in one of them.
    expect(mappings.flatMap((mapping) => mapping.consumers).sort()).toEqual([...pipeline].sort());
  });

  it.each(functions.map((definition) => [definition.name, definition] as const))(
    'sets every event source mapping setting of %s from the definition',
    (name, definition) => {
      const consumer = consumerNamed(name);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(consumer.function) },
        EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.mainTable.table), 'StreamArn'] },
        StartingPosition: definition.startingPosition,
        BatchSize: definition.batchSize,
        MaximumBatchingWindowInSeconds: definition.maxBatchingWindowSeconds,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: definition.bisectBatchOnError,
        MaximumRetryAttempts: definition.retryAttempts,
        MaximumRecordAgeInSeconds: definition.maxRecordAgeSeconds,
        ParallelizationFactor: definition.parallelizationFactor,
        FilterCriteria: {
          Filters: definition.filters.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
        },
        DestinationConfig: {
          OnFailure: {
            Destination: { 'Fn::GetAtt': [logicalId(consumer.deadLetterQueue!), 'Arn'] },
          },
        },
      });
    },
  );

  it("writes the shared mapping's filters as Lambda expects them: the union of its consumers', a JSON string per pattern", () => {
    const shared = consumerNamed('aggregates-and-archive');
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
      (resource) => resource.Properties.FunctionName.Ref === logicalId(shared.function),
    )!;
    expect(mapping.Properties.FilterCriteria).toEqual({
      Filters: [
        { Pattern: '{"dynamodb":{"NewImage":{"entityType":{"S":["Order","ProductView"]}}}}' },
        { Pattern: '{"dynamodb":{"OldImage":{"entityType":{"S":["Order","ProductView"]}}}}' },
        {
          Pattern: '{"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}',
        },
      ],
    });
  });

  it.each(functions.map((definition) => [definition.name, definition] as const))(
    'runs %s on Node.js 22 ARM64 with source maps, Powertools settings, its memory and timeout',
    (name, definition) => {
      const consumer = consumerNamed(name);
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: definition.memoryMiB,
        Timeout: definition.timeoutSeconds,
        Role: { 'Fn::GetAtt': [logicalId(consumer.role), 'Arn'] },
        LoggingConfig: { LogGroup: { Ref: logicalId(consumer.logGroup) } },
        Environment: {
          Variables: Match.objectLike({
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: name,
            POWERTOOLS_METRICS_NAMESPACE: 'StreamPipeline',
          }),
        },
      });
    },
  );

  it('bundles each handler to one ESM file with its source map, without Docker', () => {
    const outdir = (stack.node.root as App).outdir;
    const bundled = Object.entries(template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => !providerFunctionIds().includes(id))
      .map(([, fn]) => fn);
    // The consumers, the search setup and the HTTP API; the provider framework is the CDK's own code.
    expect(bundled).toHaveLength(mappings.length + 2);
    for (const fn of bundled) {
      const hash = /^([0-9a-f]{64})\.zip$/.exec(fn.Properties.Code.S3Key as string)![1]!;
      expect(readdirSync(join(outdir, `asset.${hash}`)).sort()).toEqual([
        'index.mjs',
        'index.mjs.map',
      ]);
    }
  });

  it('gives each consumer its environment from its access list, and nothing else', () => {
    const env = (name: string) =>
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: name } } },
      });
    const variables = (name: string) =>
      Object.keys(
        (Object.values(env(name))[0]!.Properties.Environment.Variables as Record<
          string,
          unknown
        >) ?? {},
      ).sort();
    const base = [
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
      EnvVar.tableName,
    ];
    expect(variables('sync-search')).toEqual(
      [...base, EnvVar.openSearchUrl, EnvVar.openSearchSigV4, EnvVar.openSearchService].sort(),
    );
    expect(variables('aggregates-and-archive')).toEqual(
      [...base, EnvVar.aggregatesTableName, EnvVar.archiveBucket, EnvVar.archivePrefix].sort(),
    );
  });

  it('keeps each DLQ encrypted, SSL-only and for 14 days, longer than the 24 h stream', () => {
    template.resourceCountIs('AWS::SQS::Queue', mappings.length);
    template.allResourcesProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 14 * 24 * 3600,
      SqsManagedSseEnabled: true,
    });
    for (const consumer of stack.consumers) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(consumer.deadLetterQueue!) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('keeps each function log group for the configured retention', () => {
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('least privilege', () => {
  const dataActionsOf = (name: string) => {
    const consumer = consumerNamed(name);
    return statementsOf(logicalId(consumer.role));
  };

  it('grants no data action on Resource "*": only ListStreams and X-Ray, which take no resource', () => {
    for (const consumer of stack.consumers) {
      const wildcard = statementsOf(logicalId(consumer.role)).filter((statement) =>
        resourcesOf(statement).includes('*'),
      );
      expect(wildcard.flatMap(actionsOf).sort()).toEqual(
        ['dynamodb:ListStreams', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
      );
    }
  });

  it('lets every consumer read the stream through its mapping, and write its own logs and DLQ', () => {
    for (const consumer of stack.consumers) {
      const statements = statementsOf(logicalId(consumer.role));
      const streamRead = statements.find((statement) =>
        actionsOf(statement).includes('dynamodb:GetRecords'),
      )!;
      expect(actionsOf(streamRead).sort()).toEqual(
        ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].sort(),
      );
      expect(resourcesOf(streamRead)).toEqual([
        { 'Fn::GetAtt': [logicalId(stack.mainTable.table), 'StreamArn'] },
      ]);
      const logs = statements.find((statement) =>
        actionsOf(statement).includes('logs:PutLogEvents'),
      )!;
      expect(resourcesOf(logs)).toEqual([{ 'Fn::GetAtt': [logicalId(consumer.logGroup), 'Arn'] }]);
      const dlq = statements.find((statement) => actionsOf(statement).includes('sqs:SendMessage'))!;
      expect(resourcesOf(dlq)).toEqual([
        { 'Fn::GetAtt': [logicalId(consumer.deadLetterQueue!), 'Arn'] },
      ]);
    }
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.anyValue() },
      0,
    );
  });

  it('gives sync-search Query and BatchGetItem on the main table itself, and search write paths only', () => {
    const statements = dataActionsOf('sync-search');
    const dynamo = statements.filter((statement) =>
      actionsOf(statement).some((action) => action === 'dynamodb:Query'),
    );
    expect(dynamo).toHaveLength(1);
    expect(actionsOf(dynamo[0]!).sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    // projectOrders queries partitions of the table, never an index.
    expect(resourcesOf(dynamo[0]!)).toEqual([
      { 'Fn::GetAtt': [logicalId(stack.mainTable.table), 'Arn'] },
    ]);
    const search = statements.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('es:')),
    );
    expect(search).toHaveLength(1);
    expect(actionsOf(search[0]!).sort()).toEqual([...SEARCH_WRITE_ACTIONS].sort());
    const paths = resourcesOf(search[0]!).map((resource) =>
      JSON.stringify(stack.resolve(resource)).replace(/.*domain\/pipeline-search-dev\//, ''),
    );
    expect(paths.sort()).toEqual(SEARCH_WRITE_PATHS.map((path) => `${path}"]]}`).sort());
    expect(
      statements
        .flatMap(actionsOf)
        .filter((action) => /^(s3|dynamodb:(Put|Update|Delete))/.test(action)),
    ).toEqual([]);
  });

  it('gives aggregates-and-archive item reads and writes on the aggregates table only, and objects under the archive prefix', () => {
    const statements = dataActionsOf('aggregates-and-archive');
    const aggregatesArn = { 'Fn::GetAtt': [logicalId(stack.aggregatesTable.table), 'Arn'] };
    const writes = statements.filter((statement) =>
      actionsOf(statement).includes('dynamodb:UpdateItem'),
    );
    expect(writes).toHaveLength(1);
    expect(resourcesOf(writes[0]!)).toEqual([aggregatesArn]);
    expect(actionsOf(writes[0]!)).not.toContain('dynamodb:Scan');
    expect(statements.flatMap(actionsOf).filter((action) => /^es:/.test(action))).toEqual([]);
    const mainArn = JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.mainTable.table), 'Arn'] });
    expect(JSON.stringify(statements)).not.toContain(mainArn);
    const s3 = statements.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('s3:')),
    );
    expect(s3).toHaveLength(1);
    expect(actionsOf(s3[0]!).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(resourcesOf(s3[0]!)).toEqual([
      {
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalId(stack.archive.bucket), 'Arn'] }, '/archive/*'],
        ],
      },
    ]);
  });

  it('derives every grant from the access list of the definition', () => {
    const kinds = pipeline.flatMap((consumer) => consumer.access);
    expect(new Set(kinds)).toEqual(new Set(Object.values(Access)));
  });
});

describe('search domain', () => {
  it('enforces HTTPS, encrypts between nodes and at rest, and makes a role of its own the FGAC master', () => {
    const master = logicalId(stack.search!.masterUser as IConstruct);
    expect(stack.consumers.map((consumer) => logicalId(consumer.role))).not.toContain(master);
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      DomainEndpointOptions: Match.objectLike({
        EnforceHTTPS: true,
        TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
      }),
      NodeToNodeEncryptionOptions: { Enabled: true },
      EncryptionAtRestOptions: Match.objectLike({ Enabled: true }),
      AdvancedSecurityOptions: Match.objectLike({
        Enabled: true,
        InternalUserDatabaseEnabled: false,
        MasterUserOptions: { MasterUserARN: { 'Fn::GetAtt': [master, 'Arn'] } },
      }),
      ClusterConfig: Match.objectLike({ ZoneAwarenessEnabled: false }),
    });
  });

  it('allows only the sync role and the master user in its access policy: no "*" principal, no public access', () => {
    const sync = consumerNamed('sync-search');
    const domain = Object.values(template.findResources('AWS::OpenSearchService::Domain'))[0]!;
    const statements = domain.Properties.AccessPolicies.Statement as {
      Principal: { AWS: unknown[] };
    }[];
    expect(statements.map((statement) => statement.Principal.AWS)).toEqual([
      [{ 'Fn::GetAtt': [logicalId(sync.role), 'Arn'] }],
      [{ 'Fn::GetAtt': [logicalId(stack.search!.masterUser as IConstruct), 'Arn'] }],
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/"Principal":"\*"|"AWS":"\*"/);
  });

  it('publishes slow and application logs without a custom-resource Lambda', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      LogPublishingOptions: {
        SEARCH_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        INDEX_SLOW_LOGS: Match.objectLike({ Enabled: true }),
        ES_APPLICATION_LOGS: Match.objectLike({ Enabled: true }),
      },
    });
    template.resourceCountIs('Custom::AWS', 0);
  });
});

describe('archive bucket', () => {
  it('blocks public access, encrypts, versions, and ages objects into Glacier IR after 90 days', () => {
    // The size filter of the transition: test/infra/operability.test.ts.
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: blockAllPublicAccess,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'archive-bucket/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
          }),
        ]),
      },
    });
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(stack.archive.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('alarms', () => {
  it.each(mappings.map((mapping) => [mapping.name] as const))(
    'watches %s: iterator age over 60 s, errors, throttles and a non-empty DLQ',
    (name) => {
      const consumer = consumerNamed(name);
      const fn = { Name: 'FunctionName', Value: { Ref: logicalId(consumer.function) } };
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'IteratorAge',
        Namespace: 'AWS/Lambda',
        Dimensions: [fn],
        Statistic: 'Maximum',
        Threshold: AlarmThreshold.iteratorAgeMs,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(AlarmThreshold.iteratorAgeMs).toBe(60_000);
      for (const metric of ['Errors', 'Throttles']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metric,
          Dimensions: [fn],
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
      }
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(consumer.deadLetterQueue!), 'QueueName'] },
          },
        ],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    },
  );

  it('watches the domain: cluster red, yellow, and free storage below a quarter', () => {
    for (const metric of ['ClusterStatus.red', 'ClusterStatus.yellow']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/ES',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FreeStorageSpace',
      Namespace: 'AWS/ES',
      Statistic: 'Minimum',
      Threshold: 10 * 1024 * 0.25,
      ComparisonOperator: 'LessThanThreshold',
    });
  });

  it('notifies one SSL-only topic from every alarm, and draws a dashboard', () => {
    const topic = { Ref: logicalId(stack.monitoring.topic) };
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic] });
    template.resourceCountIs('AWS::CloudWatch::Alarm', stack.monitoring.alarms.length);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('handlers', () => {
  it('resolves every handler from the definition, under functions/', () => {
    expect(synthesised.standIns.every((name) => pipeline.some((c) => c.name === name))).toBe(true);
    for (const consumer of pipeline) expect(consumer.handler).toMatch(/^functions\/[a-z-]+\.ts$/);
  });
});
