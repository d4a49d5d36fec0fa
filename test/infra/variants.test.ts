import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { nagPacks } from '../../infra/lib/nag.js';
import { existingDomain, serverlessCollection, synthesise } from './synth.js';

const nagViolations = (context: Record<string, string>): string[] => {
  const { stack } = synthesise(context);
  return nagPacks(stack, false).flatMap((pack) =>
    pack.validateScope(stack).violations.map((violation) => violation.ruleName),
  );
};

const production = { stage: 'prod' };
const customerManagedKey = { kms: 'true', archiveExpiryDays: '2555' };

describe('production', () => {
  const { template } = synthesise(production);

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
});

describe('customer-managed key', () => {
  const { template, stack } = synthesise(customerManagedKey);
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
});

describe('a search target the stack does not create', () => {
  it.each([
    [
      'creates no domain and grants the write paths on an existing one, signing for es',
      {
        context: existingDomain,
        grant: Match.objectLike({
          Resource: [
            `${existingDomain.searchDomainArn}/_bulk`,
            `${existingDomain.searchDomainArn}/orders*`,
            `${existingDomain.searchDomainArn}/users*`,
          ],
        }),
        variables: {
          OPENSEARCH_URL: existingDomain.searchEndpoint,
          OPENSEARCH_SERVICE: 'es',
          OPENSEARCH_SIGV4: 'true',
        },
      },
    ],
    [
      'creates no domain and grants API access to a Serverless collection only, signing for aoss',
      {
        context: serverlessCollection,
        grant: {
          Effect: 'Allow',
          Action: 'aoss:APIAccessAll',
          Resource: serverlessCollection.searchCollectionArn,
        },
        variables: { OPENSEARCH_SERVICE: 'aoss' },
      },
    ],
  ])('%s', (_name, { context, grant, variables }) => {
    const { template } = synthesise(context);
    template.resourceCountIs('AWS::OpenSearchService::Domain', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([grant]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike(variables) },
    });
  });
});

describe('cdk-nag', () => {
  it.each([
    ['production, without the development-only acknowledgements', production],
    ['a customer-managed key', customerManagedKey],
    ['an existing domain', existingDomain],
    ['an OpenSearch Serverless collection', serverlessCollection],
  ])('passes on %s', (_name, context: Record<string, string>) => {
    expect(nagViolations(context)).toEqual([]);
  });
});
