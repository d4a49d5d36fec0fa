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

/**
 * The request paths the search setup calls, relative to the domain: templates, the index
 * families (create, mappings, settings, the rebuild's reads and refresh), aliases, `_bulk`
 * for a rebuild, and the security plugin's role API.
 */
export const SEARCH_SETUP_PATHS = [
  '_index_template/*',
  'orders*',
  'users*',
  '_alias/*',
  '_aliases',
  '_bulk',
  '_plugins/_security/*',
] as const;

/** The HTTP verbs the search setup sends; it never deletes. */
export const SEARCH_SETUP_ACTIONS = [
  'es:ESHttpGet',
  'es:ESHttpHead',
  'es:ESHttpPost',
  'es:ESHttpPut',
] as const;

/** Props of {@link SearchDomain}. */
export interface SearchDomainProps {
  readonly target: SearchTarget;
  /** The roles of the functions that write documents; never the FGAC master user. */
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
 * and at rest, and turns on fine-grained access control with IAM as the only way in. Its
 * access policy names two kinds of principal, never `*`: the writer roles, on the write paths
 * only, and the FGAC master user. The master is `searchMasterUserArn` when set, or else a
 * role of its own that only the search setup function runs as; never a consumer's role.
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
  /**
   * Replicas per index: 0 on the development domain's one data node, 1 in production,
   * whose two data nodes sit in two zones, so each zone holds a copy. The setup step gives
   * the templates and the live indices this count.
   */
  readonly replicas: number;
  /**
   * The role the search setup function runs as, which is the FGAC master user: the role
   * `searchMasterUserArn` names, or one this construct creates. Undefined for an external target.
   */
  readonly masterUser: iam.IRole | undefined;
  private readonly target: SearchTarget;
  private readonly domainArn: string | undefined;

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);
    const { target } = props;
    this.target = target;
    this.volumeSizeGiB = props.production ? 100 : 10;
    this.replicas = props.production ? 1 : 0;
    this.masterUser = undefined;
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

    // Imported as mutable: the setup construct adds its log and table-read policy to it.
    const masterUser = target.masterUserArn
      ? iam.Role.fromRoleArn(this, 'MasterUser', target.masterUserArn)
      : new iam.Role(this, 'MasterUser', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          description:
            'FGAC master user of the search domain; only the search setup function runs as it.',
        });
    this.masterUser = masterUser;
    const masterUserArn = masterUser.roleArn;
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
    const pathsOf = (paths: readonly string[]) => paths.map((path) => `${domainArn}/${path}`);
    // Set on the CloudFormation resource: the Domain's own accessPolicies go through a custom resource Lambda.
    (domain.node.defaultChild as opensearch.CfnDomain).accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: props.writers.map((writer) => writer.roleArn) },
          Action: [...SEARCH_WRITE_ACTIONS],
          Resource: pathsOf(SEARCH_WRITE_PATHS),
        },
        target.masterUserArn
          ? {
              // A master named in the settings administers the domain (backfill, purge,
              // Dashboards), so it reaches every path; FGAC still decides what it may do.
              Effect: 'Allow',
              Principal: { AWS: [masterUserArn] },
              Action: 'es:ESHttp*',
              Resource: `${domainArn}/*`,
            }
          : {
              // The master this construct creates runs the setup step only.
              Effect: 'Allow',
              Principal: { AWS: [masterUserArn] },
              Action: [...SEARCH_SETUP_ACTIONS],
              Resource: pathsOf(SEARCH_SETUP_PATHS),
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
