/**
 * The private network the search domain and the functions share when the `vpc` setting is
 * on: isolated subnets in two zones, no NAT and no internet gateway, and endpoints for every
 * AWS service the function code calls.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag.js';

/** Where a function runs: the props `NodejsFunction` takes to attach it to the VPC. */
export interface FunctionPlacement {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

/** Where the search domain runs: its subnets' selection and its own security group. */
export interface DomainPlacement {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

/**
 * The EC2 actions Lambda performs with a function's execution role to create, find and
 * remove the function's network interfaces in the VPC.
 */
export const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** Props of {@link PipelineNetwork}. */
export interface PipelineNetworkProps {
  /**
   * The VPC's address range.
   * @default '10.20.0.0/16'
   */
  readonly cidr?: string;
  /** Retention of the VPC flow log group, in days. */
  readonly logRetentionDays: number;
  /**
   * Destroy the flow log group with the stack.
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
}

/**
 * A VPC of private isolated subnets in two zones with:
 * - gateway endpoints for DynamoDB and S3 (no hourly charge), which the consumers, the
 *   archive and the API call;
 * - an X-Ray interface endpoint, since the functions trace actively and the trace segments
 *   their code adds leave through the function's own network interface;
 * - the functions' security group, which may only open HTTPS connections, and the domain's,
 *   which admits HTTPS from the functions' group alone;
 * - flow logs of rejected traffic to CloudWatch Logs.
 *
 * Nothing else is needed: Lambda itself delivers the logs, sends to the on-failure queues
 * and reads the streams, and the SigV4 credentials come from the execution role, not STS.
 *
 * @example
 * const network = new PipelineNetwork(this, 'Network', { logRetentionDays: 90 });
 * new NodejsFunction(this, 'Fn', { ...network.functionPlacement, role });
 * network.grantNetworkInterfaces(role);
 */
export class PipelineNetwork extends Construct {
  readonly vpc: ec2.Vpc;
  /** Every function's group: egress on 443 only. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** The search domain's group: ingress on 443 from {@link functionSecurityGroup} only. */
  readonly domainSecurityGroup: ec2.SecurityGroup;
  readonly functionPlacement: FunctionPlacement;
  readonly domainPlacement: DomainPlacement;
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineNetworkProps) {
    super(scope, id);
    const removalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.20.0.0/16'),
      maxAzs: 2,
      natGateways: 0,
      createInternetGateway: false,
      subnetConfiguration: [
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
      ],
      // Nothing is placed in the default group; restricting it would add a custom resource
      // function outside the VPC.
      restrictDefaultSecurityGroup: false,
    });
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.vpc.addGatewayEndpoint('DynamoDb', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [isolated],
    });
    this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [isolated],
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Pipeline functions: HTTPS out to the endpoints and the search domain.',
      allowAllOutbound: false,
    });
    // The subnets have no route out of the VPC but the gateway endpoints, whose prefix lists
    // are not known at synthesis, so HTTPS is allowed to any address.
    this.functionSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to the VPC endpoints and the search domain',
    );

    this.domainSecurityGroup = new ec2.SecurityGroup(this, 'DomainSecurityGroup', {
      vpc: this.vpc,
      description: 'Search domain: HTTPS from the pipeline functions only.',
      allowAllOutbound: false,
    });
    this.domainSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS from the pipeline functions',
    );

    const xrayEndpointSecurityGroup = new ec2.SecurityGroup(this, 'XRayEndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'X-Ray endpoint: HTTPS from the pipeline functions only.',
      allowAllOutbound: false,
    });
    this.vpc.addInterfaceEndpoint('XRay', {
      service: ec2.InterfaceVpcEndpointAwsService.XRAY,
      subnets: isolated,
      privateDnsEnabled: true,
      securityGroups: [xrayEndpointSecurityGroup],
      // Only the functions call it; `open` would admit the whole VPC range.
      open: false,
    });
    xrayEndpointSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS from the pipeline functions',
    );

    this.functionPlacement = {
      vpc: this.vpc,
      vpcSubnets: isolated,
      securityGroups: [this.functionSecurityGroup],
    };
    this.domainPlacement = {
      vpc: this.vpc,
      subnets: isolated,
      securityGroups: [this.domainSecurityGroup],
    };
  }

  /**
   * Lets Lambda manage the network interfaces of a function that runs as `role`. Needed
   * because the functions bring their own roles, to which the CDK adds no VPC policy.
   */
  grantNetworkInterfaces(role: iam.IRole): iam.Grant {
    if (Construct.isConstruct(role)) {
      acknowledgeWildcardResources(
        role,
        ['*'],
        'The EC2 network-interface actions Lambda takes with the execution role: the Describe actions take no resource, and the interfaces do not exist before Lambda creates them.',
      );
    }
    return iam.Grant.addToPrincipal({
      grantee: role,
      actions: [...NETWORK_INTERFACE_ACTIONS],
      resourceArns: ['*'],
    });
  }
}
