/**
 * Where the search documents live: an OpenSearch Service domain this stack creates, one
 * that exists already, or an OpenSearch Serverless collection.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import { InfraSettingError } from '../errors.js';
import { acknowledgeWildcardResources } from '../nag.js';
import type { SearchTarget } from '../settings.js';
import type { DomainPlacement } from './network.js';

/**
 * The request paths a search writer may call, relative to the domain: the orders and users
 * indexes with their versioned physical indexes and aliases, and the bulk endpoint.
 */
export const SEARCH_WRITE_PATHS = ['orders*', 'users*', '_bulk'] as const;

/** The HTTP verbs a search writer needs: index, update, delete, read back, and probe. */
export const SEARCH_WRITE_ACTIONS = [
  'es:ESHttpGet',
  'es:ESHttpHead',
  'es:ESHttpPost',
  'es:ESHttpPut',
  'es:ESHttpDelete',
] as const;

/** Props of {@link SearchDomain}. */
export interface SearchDomainProps {
  readonly target: SearchTarget;
  /** The roles of the functions that write documents. */
  readonly writers: readonly iam.IRole[];
  /**
   * Production sizing: dedicated masters, two zones, retained on stack deletion.
   * @default false
   */
  readonly production?: boolean;
  /** Retention of the domain's slow and application logs, in days. */
  readonly logRetentionDays: number;
  /**
   * Place a domain this stack creates in a VPC: one subnet per zone it uses, and its
   * security group.
   * @default a public endpoint, guarded by IAM and FGAC
   */
  readonly vpc?: DomainPlacement;
}

/**
 * The search target. A domain it creates enforces HTTPS (TLS 1.2), encrypts between nodes
 * and at rest, and turns on fine-grained access control with IAM as the only way in: its
 * access policy names the writer roles, never `*`, and the FGAC master user is the sync
 * function's role unless a separate one is given.
 *
 * @example
 * const search = new SearchDomain(this, 'Search', { target, writers: [sync.role], logRetentionDays: 30 });
 * search.grantIndexWrite(sync.role);
 */
export class SearchDomain extends Construct {
  /** The base URL the functions call, without a trailing slash. */
  readonly endpointUrl: string;
  /** The SigV4 signing name: `es` for a domain, `aoss` for a collection. */
  readonly signingService: 'es' | 'aoss';
  /** The domain this stack created, for alarms; undefined for an external target. */
  readonly domain: opensearch.Domain | undefined;
  /** EBS volume per data node; the free-storage alarm fires below a quarter of it. */
  readonly volumeSizeGiB: number;
  private readonly target: SearchTarget;
  private readonly domainArn: string | undefined;

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);
    const { target } = props;
    this.target = target;
    this.volumeSizeGiB = props.production ? 100 : 10;
    if (target.kind === 'serverless') {
      this.endpointUrl = target.endpoint;
      this.signingService = 'aoss';
      this.domain = undefined;
      this.domainArn = undefined;
      return;
    }
    this.signingService = 'es';
    if (target.kind === 'existingDomain') {
      this.endpointUrl = target.endpoint;
      this.domain = undefined;
      this.domainArn = target.domainArn;
      return;
    }

    const masterUserArn = target.masterUserArn ?? soleWriter(props.writers).roleArn;
    const production = props.production ?? false;
    const removalPolicy = production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, {
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy,
      });
    const slowSearchLogGroup = logGroup('SlowSearchLogs');
    const slowIndexLogGroup = logGroup('SlowIndexLogs');
    const appLogGroup = logGroup('AppLogs');
    // The domain's own ARN cannot be referenced in its own properties, so it is built from the name.
    const domainArn = Stack.of(this).formatArn({
      service: 'es',
      resource: 'domain',
      resourceName: target.domainName,
    });
    this.domainArn = domainArn;

    // A logs resource policy written here, instead of the custom resource the Domain would add.
    const logsPolicy = new logs.ResourcePolicy(this, 'LogsPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('es.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [slowSearchLogGroup, slowIndexLogGroup, appLogGroup].map(
            (group) => group.logGroupArn,
          ),
          conditions: {
            StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
            ArnLike: { 'aws:SourceArn': domainArn },
          },
        }),
      ],
    });

    const domain = new opensearch.Domain(this, 'Domain', {
      domainName: target.domainName,
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity: production
        ? {
            dataNodes: 2,
            dataNodeInstanceType: 'r7g.large.search',
            masterNodes: 3,
            masterNodeInstanceType: 'm7g.large.search',
            multiAzWithStandbyEnabled: false,
          }
        : {
            dataNodes: 1,
            dataNodeInstanceType: 't3.medium.search',
            multiAzWithStandbyEnabled: false,
          },
      zoneAwareness: production ? { enabled: true, availabilityZoneCount: 2 } : { enabled: false },
      ...(props.vpc
        ? {
            vpc: props.vpc.vpc,
            // A domain takes exactly one subnet per zone it spreads over.
            vpcSubnets: [
              {
                subnets: props.vpc.vpc
                  .selectSubnets(props.vpc.subnets)
                  .subnets.slice(0, production ? 2 : 1),
              },
            ],
            securityGroups: props.vpc.securityGroups,
          }
        : {}),
      ebs: { volumeSize: this.volumeSizeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      nodeToNodeEncryption: true,
      encryptionAtRest: { enabled: true },
      fineGrainedAccessControl: { masterUserArn },
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup,
        slowIndexLogEnabled: true,
        slowIndexLogGroup,
        appLogEnabled: true,
        appLogGroup,
      },
      suppressLogsResourcePolicy: true,
      removalPolicy,
    });
    domain.node.addDependency(logsPolicy);
    const principals = [
      ...new Set([...props.writers.map((writer) => writer.roleArn), masterUserArn]),
    ];
    // Set on the CloudFormation resource: the Domain's own accessPolicies go through a custom resource Lambda.
    (domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: principals },
          Action: 'es:ESHttp*',
          Resource: `${domainArn}/*`,
        },
      ],
    };
    this.domain = domain;
    this.endpointUrl = `https://${domain.domainEndpoint}`;

    Validations.of(domain).acknowledge(
      ...(props.vpc
        ? []
        : [
            {
              id: 'AwsSolutions-OS1',
              reason:
                'Access is IAM-signed only: the access policy names the writer roles and FGAC maps them, so no VPC (and no NAT for the functions) is needed; the vpc setting places it in one.',
            },
          ]),
      {
        id: 'AwsSolutions-OS3',
        reason:
          'Lambda functions have no fixed source IPs; requests are authorised by SigV4 identity instead of an IP allowlist.',
      },
      ...(production
        ? []
        : [
            {
              id: 'AwsSolutions-OS4',
              reason:
                'A development domain runs one data node; production gets three dedicated masters.',
            },
            {
              id: 'AwsSolutions-OS7',
              reason:
                'A development domain runs one data node in one zone; production spreads two zones.',
            },
          ]),
    );
  }

  /**
   * Lets `grantee` call the search write paths only: `es:ESHttp*` verbs on the orders and
   * users indexes and `_bulk`, or API access to the one collection for Serverless, whose
   * data access policy then decides per index.
   */
  grantIndexWrite(grantee: iam.IGrantable): iam.Grant {
    if (this.target.kind === 'serverless') {
      return iam.Grant.addToPrincipal({
        grantee,
        actions: ['aoss:APIAccessAll'],
        resourceArns: [this.target.collectionArn],
      });
    }
    const domainArn = this.domainArn!;
    const resourceArns = SEARCH_WRITE_PATHS.map((path) => `${domainArn}/${path}`);
    if (Construct.isConstruct(grantee.grantPrincipal)) {
      acknowledgeWildcardResources(
        grantee.grantPrincipal,
        resourceArns.filter((resourceArn) => resourceArn.endsWith('*')),
        'Each index is versioned behind its alias (orders-v2 behind orders), so the grant names the index family, not one index.',
      );
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...SEARCH_WRITE_ACTIONS],
      resourceArns,
    });
  }
}

const soleWriter = (writers: readonly iam.IRole[]): iam.IRole => {
  if (writers.length !== 1) {
    throw new InfraSettingError(
      'searchMasterUserArn',
      `is required when ${writers.length} consumers write to search: FGAC maps one master user`,
    );
  }
  return writers[0]!;
};
