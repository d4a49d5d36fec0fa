/**
 * The search setup step of every deploy: a custom resource whose handler,
 * `functions/setup-search.ts`, runs `setupSearch` from `@pipeline/search` against the
 * domain, signed as its FGAC master user.
 */
import { join } from 'node:path';
import { EnvVar } from '@pipeline/pipeline';
import { searchTemplatesVersion } from '@pipeline/search';
import { CustomResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { repoRoot } from '../bundling.js';
import {
  acknowledgeFunctionDefaults,
  acknowledgeSynchronousInvocation,
  adoptFunctionDefaults,
  functionDefaults,
  type LogLevel,
} from '../function-defaults.js';
import { acknowledgeWildcardResources } from '../nag.js';
import type { SearchDomain } from './search-domain.js';
import type { PipelineTable } from './table.js';

/** What a rebuild calls on the main table: no index, no write. */
export const SEARCH_REBUILD_TABLE_ACTIONS = [
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
] as const;

/** Props of {@link SearchSetup}. */
export interface SearchSetupProps {
  /** A domain this stack creates: its master user runs the setup. */
  readonly search: SearchDomain;
  /** The roles of the functions that write documents; mapped to the writer role in FGAC. */
  readonly writers: readonly iam.IRole[];
  /**
   * The roles of the services that search (the HTTP API); mapped to the reader role.
   * @default none
   */
  readonly readers?: readonly iam.IRole[];
  /** The table a rebuild reads documents back from. */
  readonly table: PipelineTable;
  /** Retention of the two functions' log groups, in days. */
  readonly logRetentionDays: number;
  /** Level of both functions' application logs. */
  readonly logLevel: LogLevel;
  /**
   * Where the setup function runs: inside the domain's VPC when the domain is.
   * @default outside any VPC
   */
  readonly placement?: Pick<lambda.FunctionOptions, 'vpc' | 'vpcSubnets' | 'securityGroups'>;
  /**
   * Destroy the log groups with the stack.
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
}

/**
 * A `Custom::SearchSetup` resource that depends on the domain. Its properties carry the
 * stage's replica count, the writer role ARNs and the templates' version, so a change to
 * any of them, a template included, reaches the handler as an Update. Delete does nothing.
 *
 * @example
 * const setup = new SearchSetup(this, 'SearchSetup', { search, writers: [sync.role], table: main, logRetentionDays: 30 });
 * sync.function.node.addDependency(setup.resource);
 */
export class SearchSetup extends Construct {
  readonly function: NodejsFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: SearchSetupProps) {
    super(scope, id);
    const { search } = props;
    const domain = search.domain;
    const role = search.masterUser;
    if (!domain || !role) throw new Error('SearchSetup needs a domain this stack creates');
    const removalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, {
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy,
      });

    const handlerLogs = logGroup('Logs');
    handlerLogs.grantWrite(role);
    // A rebuild scans the table and reads orders back by Query and BatchGetItem, as the backfill does.
    props.table.table.encryptionKey?.grant(role, 'kms:Decrypt');
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: [...SEARCH_REBUILD_TABLE_ACTIONS],
      resourceArns: [props.table.table.tableArn],
    });
    const defaults = functionDefaults({
      serviceName: 'setup-search',
      logGroup: handlerLogs,
      logLevel: props.logLevel,
    });
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'Sets up the search templates, indices, aliases and writer role.',
      entry: join(repoRoot, 'functions/setup-search.ts'),
      memorySize: 512,
      // A rebuild reads the whole table; Lambda allows no more.
      timeout: Duration.minutes(15),
      role,
      ...props.placement,
      environment: {
        ...defaults.environment,
        [EnvVar.openSearchUrl]: search.endpointUrl,
        [EnvVar.openSearchSigV4]: 'true',
        [EnvVar.openSearchService]: search.signingService,
        [EnvVar.tableName]: props.table.table.tableName,
      },
    });

    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the provider framework that invokes the search setup function.',
    });
    const frameworkLogs = logGroup('ProviderLogs');
    // In place of AWSLambdaBasicExecutionRole: writes to this log group only.
    frameworkLogs.grantWrite(frameworkRole);
    // The framework only invokes the function and answers CloudFormation, so it stays outside any VPC.
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SearchSetup',
      properties: {
        Replicas: String(search.replicas),
        TemplateVersion: searchTemplatesVersion({ replicas: search.replicas }),
        WriterRoleArns: props.writers.map((writer) => writer.roleArn),
        ReaderRoleArns: (props.readers ?? []).map((reader) => reader.roleArn),
      },
    });
    this.resource.node.addDependency(domain);

    const framework = provider.node.findChild('framework-onEvent') as lambda.Function;
    adoptFunctionDefaults(framework, props.logLevel);
    acknowledgeWildcardResources(
      frameworkRole,
      [`${this.function.functionArn}:*`],
      'The provider framework may invoke any version of the one setup function, which is what Lambda names with :*.',
    );
    acknowledgeFunctionDefaults(this.function, role);
    acknowledgeSynchronousInvocation(
      this.function,
      'the custom-resource provider, for CloudFormation,',
    );
    acknowledgeSynchronousInvocation(framework, 'CloudFormation, through the custom resource,');
    Validations.of(framework).acknowledge({
      id: 'Serverless-LambdaDefaultMemorySize',
      reason:
        "The provider framework is the CDK's own function; it only invokes the setup function and answers CloudFormation, which 128 MB serves.",
    });
  }
}
