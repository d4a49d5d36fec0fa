import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { NETWORK_INTERFACE_ACTIONS } from '../../infra/lib/constructs/network.js';
import type { PipelineStack } from '../../infra/lib/pipeline-stack.js';
import { nagFindings } from './nag-findings.js';
import { typesPresent } from './resources.js';
import { synthesise } from './synth.js';

const logicalId = (stack: PipelineStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.resolve(stack.getLogicalId(construct.node.defaultChild as never)) as string;

const groupId = (stack: PipelineStack, construct: { node: { defaultChild?: unknown } }) => ({
  'Fn::GetAtt': [logicalId(stack, construct), 'GroupId'],
});

const resourcesOf = (template: Template, type: string) =>
  Object.values(template.findResources(type)).map((resource) => resource.Properties);

/** Every function that calls the tables, the archive or the domain: consumers, API, search setup. */
const functionsOf = (stack: PipelineStack) =>
  [...stack.consumers, stack.httpApi, stack.searchSetup].flatMap((owner) =>
    owner ? [owner.function] : [],
  );

/** The actions granted to a role, across its policies. */
const roleActions = (stack: PipelineStack, template: Template, role: { node: object }) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some(
        (entry) =>
          JSON.stringify(entry) === JSON.stringify({ Ref: logicalId(stack, role as never) }),
      ),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown }[])
    .flatMap((statement) => [statement.Action].flat() as string[]);

describe('inside a VPC (production, where it is the default)', () => {
  const { stack, template } = synthesise({ stage: 'prod' });
  const network = stack.network!;

  it('builds isolated subnets in two zones, with no NAT and no internet gateway', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    for (const subnet of resourcesOf(template, 'AWS::EC2::Subnet')) {
      expect(subnet.MapPublicIpOnLaunch).toBe(false);
    }
    const zones = resourcesOf(template, 'AWS::EC2::Subnet').map((subnet) =>
      JSON.stringify(subnet.AvailabilityZone),
    );
    expect(new Set(zones).size).toBe(2);
  });

  it('reaches DynamoDB and S3 through gateway endpoints and X-Ray through an interface endpoint', () => {
    const endpoints = resourcesOf(template, 'AWS::EC2::VPCEndpoint').map((endpoint) => [
      endpoint.VpcEndpointType,
      JSON.stringify(endpoint.ServiceName).match(/\.([a-z0-9]+)"\]\]\}$/)?.[1],
    ]);
    expect(endpoints.sort()).toEqual([
      ['Gateway', 'dynamodb'],
      ['Gateway', 's3'],
      ['Interface', 'xray'],
    ]);
    for (const gateway of resourcesOf(template, 'AWS::EC2::VPCEndpoint').filter(
      (endpoint) => endpoint.VpcEndpointType === 'Gateway',
    )) {
      expect(gateway.RouteTableIds).toHaveLength(2);
    }
    const [xray] = resourcesOf(template, 'AWS::EC2::VPCEndpoint').filter(
      (endpoint) => endpoint.VpcEndpointType === 'Interface',
    );
    expect(xray!.PrivateDnsEnabled).toBe(true);
    expect(xray!.SubnetIds).toHaveLength(2);
  });

  it('places the domain in one subnet per zone it spreads over, behind its own group', () => {
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      VPCOptions: {
        SubnetIds: [
          { Ref: Match.stringLikeRegexp('^NetworkVpcisolatedSubnet1') },
          { Ref: Match.stringLikeRegexp('^NetworkVpcisolatedSubnet2') },
        ],
        SecurityGroupIds: [groupId(stack, network.domainSecurityGroup)],
      },
      ClusterConfig: Match.objectLike({ ZoneAwarenessEnabled: true }),
    });
  });

  it('attaches every function, consumers and API, to the isolated subnets with the functions group', () => {
    expect(stack.httpApi).toBeDefined();
    const resources = template.findResources('AWS::Lambda::Function');
    const functions = functionsOf(stack).map((fn) => resources[logicalId(stack, fn)]!.Properties);
    expect(functions).toHaveLength(stack.consumers.length + 2);
    for (const fn of functions) {
      expect(fn.VpcConfig).toEqual({
        SecurityGroupIds: [groupId(stack, network.functionSecurityGroup)],
        SubnetIds: [
          { Ref: expect.stringMatching(/^NetworkVpcisolatedSubnet1/) },
          { Ref: expect.stringMatching(/^NetworkVpcisolatedSubnet2/) },
        ],
      });
    }
  });

  it('admits HTTPS to the domain from the functions group only, and lets the functions open HTTPS only', () => {
    const domainGroup = groupId(stack, network.domainSecurityGroup);
    const functionGroup = groupId(stack, network.functionSecurityGroup);
    const domainGroupResource =
      template.findResources('AWS::EC2::SecurityGroup')[
        logicalId(stack, network.domainSecurityGroup)
      ]!;
    expect(domainGroupResource.Properties.SecurityGroupIngress).toBeUndefined();
    const domainIngress = resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(
      (rule) => JSON.stringify(rule.GroupId) === JSON.stringify(domainGroup),
    );
    expect(domainIngress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: functionGroup,
      }),
    ]);
    const functionGroupResource =
      template.findResources('AWS::EC2::SecurityGroup')[
        logicalId(stack, network.functionSecurityGroup)
      ]!;
    for (const rule of functionGroupResource.Properties.SecurityGroupEgress) {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    }
  });

  it('lets Lambda manage the network interfaces of every function role', () => {
    for (const fn of functionsOf(stack)) {
      expect(roleActions(stack, template, fn.role!)).toEqual(
        expect.arrayContaining([...NETWORK_INTERFACE_ACTIONS]),
      );
    }
  });

  it('logs rejected traffic of the VPC to CloudWatch Logs', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: logicalId(stack, network.flowLogGroup) },
    });
  });

  it('adds no unacknowledged cdk-nag finding, and drops the OS1 acknowledgement', () => {
    const findings = nagFindings(stack);
    expect(findings.filter((finding) => finding.includes(`${network.node.path}/`))).toEqual([]);
    expect(findings).toEqual(nagFindings(synthesise({ stage: 'prod', vpc: 'false' }).stack));
    // The domain is in the VPC, so OS1 holds without being acknowledged.
    const domainMetadata = JSON.stringify(stack.search!.domain!.node.defaultChild!.node.metadata);
    expect(domainMetadata).not.toContain('AwsSolutions-OS1');
  });
});

describe('inside a VPC in development (vpc=true)', () => {
  const { stack, template } = synthesise({ vpc: 'true' });

  it('gives the single-node domain exactly one subnet', () => {
    const [domain] = resourcesOf(template, 'AWS::OpenSearchService::Domain');
    expect(domain!.VPCOptions.SubnetIds).toHaveLength(1);
    expect(domain!.ClusterConfig.ZoneAwarenessEnabled).toBe(false);
  });

  it('adds no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual(nagFindings(synthesise({}).stack));
  });
});

describe.each([
  ['development, where it is off by default', {}],
  ['production with vpc=false', { stage: 'prod', vpc: 'false' }],
])('outside a VPC (%s)', (_, context: Record<string, string>) => {
  const { stack, template } = synthesise(context);

  it('creates no network, and neither the domain nor any function is in one', () => {
    expect(stack.network).toBeUndefined();
    expect(
      typesPresent(template, [
        'AWS::EC2::VPC',
        'AWS::EC2::Subnet',
        'AWS::EC2::VPCEndpoint',
        'AWS::EC2::SecurityGroup',
        'AWS::EC2::FlowLog',
      ]),
    ).toEqual([]);
    for (const domain of resourcesOf(template, 'AWS::OpenSearchService::Domain')) {
      expect(domain.VPCOptions).toBeUndefined();
    }
    for (const fn of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect(fn.VpcConfig).toBeUndefined();
    }
    for (const fn of functionsOf(stack)) {
      expect(roleActions(stack, template, fn.role!)).not.toContain('ec2:CreateNetworkInterface');
    }
  });
});
