import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { nagPacks } from '../../infra/lib/nag.js';
import { synthesise } from './synth.js';

const nagViolations = (context: Record<string, string>): string[] => {
  const { stack } = synthesise(context);
  return nagPacks(stack, false).flatMap((pack) =>
    pack.validateScope(stack).violations.map((violation) => violation.ruleName),
  );
};

describe('production', () => {
  const { template } = synthesise({ stage: 'prod' });

  it('retains both tables with deletion protection', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('spreads the domain over two zones with three dedicated masters, and retains it', () => {
    template.hasResource('AWS::OpenSearchService::Domain', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ClusterConfig: Match.objectLike({
          ZoneAwarenessEnabled: true,
          ZoneAwarenessConfig: { AvailabilityZoneCount: 2 },
          DedicatedMasterEnabled: true,
          DedicatedMasterCount: 3,
          InstanceCount: 2,
        }),
      }),
    });
  });

  it('passes cdk-nag without the development-only acknowledgements', () => {
    expect(nagViolations({ stage: 'prod' })).toEqual([]);
  });
});

describe('customer-managed key', () => {
  const context = { kms: 'true', archiveExpiryDays: '2555' };
  const { template, stack } = synthesise(context);
  const key = {
    'Fn::GetAtt': [
      stack.resolve(stack.getLogicalId(stack.encryptionKey!.node.defaultChild as never)),
      'Arn',
    ],
  };

  it('rotates the key and encrypts both tables, the archive and every DLQ with it', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 2555 })]),
      },
    });
    template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: key });
  });

  it('grants key use on that one key only, including what the archive needs to write', () => {
    const kmsStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(
        (policy) =>
          policy.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[],
      )
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('kms:')));
    // The consumers' and the search setup's, which reads the table back for a rebuild.
    expect(kmsStatements).toHaveLength(4);
    for (const statement of kmsStatements) expect(statement.Resource).toEqual(key);
    expect(kmsStatements.flatMap((statement) => statement.Action)).toEqual(
      expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']),
    );
  });

  it('passes cdk-nag', () => {
    expect(nagViolations(context)).toEqual([]);
  });
});

describe('an existing domain', () => {
  const context = {
    searchEndpoint: 'https://search-orders.eu-west-1.es.amazonaws.com',
    searchDomainArn: 'arn:aws:es:eu-west-1:123456789012:domain/orders',
  };
  const { template } = synthesise(context);

  it('creates no domain and grants the write paths on the given one', () => {
    template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: [
              `${context.searchDomainArn}/_bulk`,
              `${context.searchDomainArn}/orders*`,
              `${context.searchDomainArn}/users*`,
            ],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          OPENSEARCH_URL: context.searchEndpoint,
          OPENSEARCH_SERVICE: 'es',
          OPENSEARCH_SIGV4: 'true',
        }),
      },
    });
  });

  it('passes cdk-nag', () => {
    expect(nagViolations(context)).toEqual([]);
  });
});

describe('an OpenSearch Serverless collection', () => {
  const context = {
    searchEndpoint: 'https://abc123.eu-west-1.aoss.amazonaws.com',
    searchCollectionArn: 'arn:aws:aoss:eu-west-1:123456789012:collection/abc123',
  };
  const { template } = synthesise(context);

  it('signs for aoss and grants API access to that collection only', () => {
    template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'aoss:APIAccessAll', Resource: context.searchCollectionArn },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ OPENSEARCH_SERVICE: 'aoss' }) },
    });
  });

  it('passes cdk-nag', () => {
    expect(nagViolations(context)).toEqual([]);
  });
});
