import { Access } from '@pipeline/pipeline';
import { searchTemplatesVersion } from '@pipeline/search';
import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  SEARCH_SETUP_ACTIONS,
  SEARCH_SETUP_PATHS,
  SEARCH_WRITE_ACTIONS,
  SEARCH_WRITE_PATHS,
} from '../../infra/lib/constructs/search-domain.js';
import { SEARCH_REBUILD_TABLE_ACTIONS } from '../../infra/lib/constructs/search-setup.js';
import type { PipelineStack } from '../../infra/lib/pipeline-stack.js';
import { existingDomain, synthesise } from './synth.js';

const logicalIdIn =
  (stack: PipelineStack) =>
  (construct: IConstruct): string =>
    stack.resolve(
      stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement),
    ) as string;

const writersOf = (stack: PipelineStack) =>
  stack.consumers.filter((consumer) => consumer.definition.access.includes(Access.writeSearch));

interface PolicyStatement {
  Principal: { AWS: unknown[] };
  Action: string | string[];
  Resource: unknown;
}

const accessPolicyOf = (template: Template): PolicyStatement[] =>
  Object.values(template.findResources('AWS::OpenSearchService::Domain'))[0]!.Properties
    .AccessPolicies.Statement;

/** A resource of a domain ARN as a path, `orders*` for `arn:…:domain/pipeline-search-dev/orders*`. */
const pathsOf = (stack: PipelineStack, resource: unknown): string[] =>
  [resource]
    .flat()
    .map((each) =>
      JSON.stringify(stack.resolve(each)).replace(/.*domain\/pipeline-search-[a-z]+\/?/, ''),
    )
    .map((path) => path.replace(/"\]\]\}$/, ''));

describe('search setup on a development stack', () => {
  const { stack, template } = synthesise({});
  const logicalId = logicalIdIn(stack);
  const setup = stack.searchSetup!;
  const domainId = logicalId(stack.search!.domain!);
  const masterId = logicalId(stack.search!.masterUser as IConstruct);
  const writers = writersOf(stack);

  it('runs a custom resource after the domain, carrying the template version, replicas, writers and the API as reader', () => {
    const resources = template.findResources('Custom::SearchSetup');
    expect(Object.keys(resources)).toEqual([logicalId(setup.resource)]);
    const resource = Object.values(resources)[0]!;
    expect(resource.DependsOn).toContain(domainId);
    expect(resource.Properties).toEqual({
      ServiceToken: expect.anything(),
      Replicas: '0',
      TemplateVersion: searchTemplatesVersion({ replicas: 0 }),
      WriterRoleArns: writers.map((writer) => ({
        'Fn::GetAtt': [logicalId(writer.role), 'Arn'],
      })),
      // The deployed HTTP API searches as the FGAC reader role.
      ReaderRoleArns: [{ 'Fn::GetAtt': [logicalId(stack.httpApi!.role), 'Arn'] }],
    });
    expect(resource.DeletionPolicy).toBe('Delete');
  });

  it('runs the setup function as the FGAC master user, a role of its own and no consumer role', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [masterId, 'Arn'] },
      Timeout: 900,
      Handler: 'index.handler',
    });
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      AdvancedSecurityOptions: {
        Enabled: true,
        InternalUserDatabaseEnabled: false,
        MasterUserOptions: { MasterUserARN: { 'Fn::GetAtt': [masterId, 'Arn'] } },
      },
    });
    for (const consumer of stack.consumers) expect(logicalId(consumer.role)).not.toBe(masterId);
  });

  it('names only the writers and the master in the access policy, each on the paths it calls', () => {
    const [writerStatement, masterStatement, ...others] = accessPolicyOf(template);
    expect(others).toEqual([]);
    expect(writerStatement!.Principal.AWS).toEqual(
      writers.map((writer) => ({ 'Fn::GetAtt': [logicalId(writer.role), 'Arn'] })),
    );
    expect(writerStatement!.Action).toEqual([...SEARCH_WRITE_ACTIONS]);
    expect(pathsOf(stack, writerStatement!.Resource)).toEqual([...SEARCH_WRITE_PATHS]);
    expect(pathsOf(stack, writerStatement!.Resource)).not.toContain('*');
    expect(masterStatement!.Principal.AWS).toEqual([{ 'Fn::GetAtt': [masterId, 'Arn'] }]);
    expect(masterStatement!.Action).toEqual([...SEARCH_SETUP_ACTIONS]);
    expect(pathsOf(stack, masterStatement!.Resource)).toEqual([...SEARCH_SETUP_PATHS]);
  });

  it('lets the master role read the table for a rebuild, and write nothing there', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        (policy.Properties.Roles as unknown[]).some(
          (role) => JSON.stringify(role) === JSON.stringify({ Ref: masterId }),
        ),
      )
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as PolicyStatement[]);
    const dynamodb = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('dynamodb:')),
    );
    expect(dynamodb).toHaveLength(1);
    expect([dynamodb[0]!.Action].flat()).toEqual([...SEARCH_REBUILD_TABLE_ACTIONS]);
    expect(dynamodb[0]!.Resource).toEqual({
      'Fn::GetAtt': [logicalId(stack.mainTable.table), 'Arn'],
    });
  });

  it('starts the writers only after the setup, so their first _bulk finds the aliases', () => {
    for (const writer of writers) {
      const functionId = logicalId(writer.function);
      expect(template.toJSON().Resources[functionId].DependsOn).toContain(
        logicalId(setup.resource),
      );
    }
  });

  it('leaves nothing unacknowledged for cdk-nag', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });
});

describe('replicas follow the stage', () => {
  it('gives no replica on the one-node development domain and one across two zones in production', () => {
    const replicasOf = (context: Record<string, string>) => {
      const { template } = synthesise(context);
      const [resource] = Object.values(template.findResources('Custom::SearchSetup'));
      const [domain] = Object.values(template.findResources('AWS::OpenSearchService::Domain'));
      return {
        replicas: resource!.Properties.Replicas,
        version: resource!.Properties.TemplateVersion,
        dataNodes: domain!.Properties.ClusterConfig.InstanceCount,
        zoneAwareness: domain!.Properties.ClusterConfig.ZoneAwarenessEnabled,
      };
    };
    const dev = replicasOf({});
    const prod = replicasOf({ stage: 'prod' });
    expect(dev).toEqual({
      replicas: '0',
      version: searchTemplatesVersion({ replicas: 0 }),
      dataNodes: 1,
      zoneAwareness: false,
    });
    expect(prod).toEqual({
      replicas: '1',
      version: searchTemplatesVersion({ replicas: 1 }),
      dataNodes: 2,
      zoneAwareness: true,
    });
  });
});

describe('a master user named in the settings', () => {
  const masterUserArn = 'arn:aws:iam::123456789012:role/search-admin';
  const { stack, template } = synthesise({ searchMasterUserArn: masterUserArn });

  it('makes it the FGAC master, runs the setup as it, and lets it administer every path', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      AdvancedSecurityOptions: {
        Enabled: true,
        InternalUserDatabaseEnabled: false,
        MasterUserOptions: { MasterUserARN: masterUserArn },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: masterUserArn,
      Timeout: 900,
    });
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      {
        Description:
          'FGAC master user of the search domain; only the search setup function runs as it.',
      },
      0,
    );
    const [writerStatement, masterStatement] = accessPolicyOf(template);
    expect(pathsOf(stack, writerStatement!.Resource)).toEqual([...SEARCH_WRITE_PATHS]);
    expect(masterStatement!.Principal.AWS).toEqual([masterUserArn]);
    expect(pathsOf(stack, masterStatement!.Resource)).toEqual(['*']);
  });
});

describe('a domain the stack does not create', () => {
  it('adds no setup step: the domain is set up by whoever administers it', () => {
    const { stack, template } = synthesise(existingDomain);
    expect(stack.searchSetup).toBeUndefined();
    template.resourceCountIs('Custom::SearchSetup', 0);
  });
});
