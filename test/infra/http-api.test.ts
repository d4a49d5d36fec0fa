import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  API_AGGREGATES_TABLE_ACTIONS,
  API_MAIN_TABLE_ACTIONS,
  deployedRoutes,
  SEARCH_READ_ACTIONS,
} from '../../infra/lib/constructs/http-api.js';
import { XRAY_TRACING_ACTIONS } from '../../infra/lib/function-defaults.js';
import type { PipelineStack } from '../../infra/lib/pipeline-stack.js';
import { nagFindings } from './nag-findings.js';
import { typesPresent } from './resources.js';
import { existingDomain, serverlessCollection, synthesise } from './synth.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const logicalId = (stack: PipelineStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.resolve(stack.getLogicalId(construct.node.defaultChild as never)) as string;

/** Every statement of the API role's policies, as `[actions, resources]` pairs sorted by action. */
const apiRoleStatements = (stack: PipelineStack, template: Template) => {
  const role = { Ref: logicalId(stack, stack.httpApi!.role) };
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (entry) => JSON.stringify(entry) === JSON.stringify(role),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .map((statement) => {
      expect(statement.Effect).toBe('Allow');
      return [list(statement.Action).sort(), list(statement.Resource)] as const;
    });
};

const arnOf = (stack: PipelineStack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [logicalId(stack, construct), 'Arn'],
});

describe('the HTTP API, deployed by default', () => {
  const { stack, template } = synthesise({});
  const api = stack.httpApi!;

  it('serves every route of the local route table and $default, each with IAM authorisation', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      ['$default', ...deployedRoutes().map((route) => `${route.method} ${route.path}`)].sort(),
    );
    expect(routes.map((route) => route.Properties.RouteKey)).toContain(
      'PATCH /orders/{orderId}/status',
    );
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    // One integration, and one permission for API Gateway to invoke the function.
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: arnOf(stack, api.function),
    });
  });

  it('throttles the default stage and writes one JSON access log line per request', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!;
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: arnOf(stack, api.accessLogGroup) },
    });
    const line = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(line).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      userArn: '$context.identity.userArn',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('runs one Node.js 22 ARM64 function with active tracing, JSON logs and its settings', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON', ApplicationLogLevel: 'INFO' }),
      Role: arnOf(stack, api.role),
      Environment: {
        Variables: Match.objectLike({
          TABLE_NAME: { Ref: logicalId(stack, stack.mainTable.table) },
          AGGREGATES_TABLE_NAME: { Ref: logicalId(stack, stack.aggregatesTable.table) },
          OPENSEARCH_SIGV4: 'true',
          OPENSEARCH_SERVICE: 'es',
          POWERTOOLS_SERVICE_NAME: 'api',
        }),
      },
    });
  });

  it('grants the function exactly the calls its handler makes', () => {
    const domainArn = arnOf(stack, stack.search!.domain!);
    const searchPath = (path: string) => ({ 'Fn::Join': ['', [domainArn, path]] });
    expect(apiRoleStatements(stack, template)).toEqual(
      expect.arrayContaining([
        [['logs:CreateLogStream', 'logs:PutLogEvents'], [arnOf(stack, api.logGroup)]],
        [[...XRAY_TRACING_ACTIONS].sort(), ['*']],
        [[...API_MAIN_TABLE_ACTIONS].sort(), [arnOf(stack, stack.mainTable.table)]],
        [[...API_AGGREGATES_TABLE_ACTIONS].sort(), [arnOf(stack, stack.aggregatesTable.table)]],
        [
          [...SEARCH_READ_ACTIONS].sort(),
          [searchPath('/orders/_search'), searchPath('/users/_search')],
        ],
      ]),
    );
    expect(apiRoleStatements(stack, template)).toHaveLength(5);
    // No scans, deletes, batch writes or index paths beyond the main table itself.
    const actions = apiRoleStatements(stack, template).flatMap(([granted]) => granted);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('es:ESHttpPut');
  });

  it('outputs the URL callers sign requests for', () => {
    template.hasOutput('HttpApiUrl', Match.anyValue());
  });

  it('adds no unacknowledged cdk-nag finding of AwsSolutions or ServerlessChecks', () => {
    const findings = nagFindings(stack);
    expect(findings.filter((finding) => finding.includes(`${api.node.path}/`))).toEqual([]);
    expect(findings).toEqual(nagFindings(synthesise({ httpApi: 'false' }).stack));
  });
});

describe('the httpApi setting', () => {
  it('turns the API and its function off', () => {
    const { stack, template } = synthesise({ httpApi: 'false' });
    expect(stack.httpApi).toBeUndefined();
    expect(
      typesPresent(template, [
        'AWS::ApiGatewayV2::Api',
        'AWS::ApiGatewayV2::Route',
        'AWS::ApiGatewayV2::Stage',
        'AWS::Lambda::Permission',
      ]),
    ).toEqual([]);
    const functionCount = (context: Record<string, string>) =>
      Object.keys(synthesise(context).template.findResources('AWS::Lambda::Function')).length;
    expect(Object.keys(template.findResources('AWS::Lambda::Function'))).toHaveLength(
      functionCount({}) - 1,
    );
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('HttpApiUrl');
  });
});

describe('the HTTP API over a customer-managed key', () => {
  const { stack, template } = synthesise({ kms: 'true', archiveExpiryDays: '2555' });
  const key = arnOf(stack, stack.encryptionKey!);

  it('may encrypt and decrypt with the tables key, and nothing more of KMS', () => {
    const kmsStatements = apiRoleStatements(stack, template).filter(([actions]) =>
      actions.some((action) => action.startsWith('kms:')),
    );
    expect(kmsStatements).toEqual([
      [['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], [key]],
    ]);
  });

  it('adds no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual(
      nagFindings(synthesise({ kms: 'true', archiveExpiryDays: '2555', httpApi: 'false' }).stack),
    );
  });
});

describe('the HTTP API over a search target that exists already', () => {
  const domainArn = existingDomain.searchDomainArn;

  it.each([
    [
      'reads the given domain by its ARN, signing for es',
      {
        context: existingDomain,
        grant: [
          [...SEARCH_READ_ACTIONS].sort(),
          [`${domainArn}/orders/_search`, `${domainArn}/users/_search`],
        ],
        service: 'es',
      },
    ],
    [
      'reaches the one collection of a Serverless target, signing for aoss',
      {
        context: serverlessCollection,
        grant: [['aoss:APIAccessAll'], [serverlessCollection.searchCollectionArn]],
        service: 'aoss',
      },
    ],
  ])('%s', (_name, { context, grant, service }) => {
    const { stack, template } = synthesise(context);
    expect(apiRoleStatements(stack, template)).toContainEqual(grant);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: arnOf(stack, stack.httpApi!.role),
      Environment: { Variables: Match.objectLike({ OPENSEARCH_SERVICE: service }) },
    });
  });
});
