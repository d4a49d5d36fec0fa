/**
 * The HTTP API in AWS: an API Gateway HTTP API whose routes are the local API's route table,
 * each authorised with IAM (SigV4), in front of one Lambda function (`functions/api.ts`).
 */
import { join } from 'node:path';
import type { Client } from '@opensearch-project/opensearch';
import type { AggregatesReader } from '@pipeline/aggregates';
import { type ApiStore, createApi, openApiPath } from '@pipeline/api';
import { EnvVar } from '@pipeline/pipeline';
import { searchIndexNames } from '@pipeline/search';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { repoRoot } from '../bundling.js';
import {
  acknowledgeFunctionDefaults,
  functionDefaults,
  type LogLevel,
} from '../function-defaults.js';
import type { FunctionPlacement } from './network.js';

/** The DynamoDB actions the API's store calls on the main table: reads by key, puts, updates and transaction conditions. */
export const API_MAIN_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** The DynamoDB actions the aggregates reader calls: the generation pointer and one partition. */
export const API_AGGREGATES_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'] as const;

/** The OpenSearch verbs a search query uses (the client sends `_search` as POST, GET without a body). */
export const SEARCH_READ_ACTIONS = ['es:ESHttpGet', 'es:ESHttpPost'] as const;

/** The search paths the API reads, relative to the domain: `_search` on each read alias. */
export const SEARCH_READ_PATHS = Object.values(searchIndexNames()).map(
  (names) => `${names.read}/_search`,
);

/** The routes of the API, in API Gateway's `{name}` path syntax. */
export interface DeployedRoute {
  readonly method: apigwv2.HttpMethod;
  readonly path: string;
}

/**
 * The local API's route table as API Gateway routes. The table is read from an API built
 * over dependencies that are never called: only each route's method and path are used.
 */
export const deployedRoutes = (): DeployedRoute[] =>
  createApi({
    store: {} as ApiStore,
    search: {} as Client,
    aggregates: {} as AggregatesReader,
    log: { error: () => undefined },
  }).routes.map((route) => ({
    method: apigwv2.HttpMethod[route.method],
    path: openApiPath(route.path),
  }));

/** What the API searches: a domain or a collection, its endpoint and how to sign for it. */
export interface ApiSearchAccess {
  readonly endpointUrl: string;
  readonly signingService: 'es' | 'aoss';
  /** The domain's ARN (`es`) or the collection's ARN (`aoss`). */
  readonly resourceArn: string;
}

/** Default-stage throttling, applied to every route. */
export interface ApiThrottle {
  /** Steady requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly burstLimit: number;
}

/** Props of {@link PipelineHttpApi}. */
export interface PipelineHttpApiProps {
  readonly mainTable: dynamodb.ITable;
  readonly aggregatesTable: dynamodb.ITable;
  readonly search: ApiSearchAccess;
  /** Retention of the function's and the access log groups, in days. */
  readonly logRetentionDays: number;
  /**
   * Application log level of the function.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Default-stage throttling.
   * @default 50 requests per second, bursts of 100
   */
  readonly throttle?: ApiThrottle;
  /**
   * Run the function inside a VPC.
   * @default not in a VPC
   */
  readonly placement?: FunctionPlacement;
  /**
   * The handler module.
   * @default functions/api.ts under the repository root
   */
  readonly entry?: string;
  /**
   * Destroy the log groups with the stack.
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
}

/** The access log line: one JSON object per request, with the signing identity. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
  accountId: '$context.identity.accountId',
});

/**
 * The HTTP API: every route of the local route table and a `$default` route (so an unknown
 * path or method gets the API's own 404 or 405), all with IAM authorisation; one function
 * (Node.js 22, ARM64, bundled as the consumers are, active tracing, JSON logs) whose role
 * holds exactly the calls the handler makes; default-stage throttling and JSON access logs.
 *
 * @example
 * const api = new PipelineHttpApi(this, 'HttpApi', { mainTable, aggregatesTable, search, logRetentionDays: 30 });
 * api.grantInvoke(someServiceRole);
 */
export class PipelineHttpApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly function: NodejsFunction;
  /** The function's own role; a search domain with FGAC maps it to a read-only role. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly accessLogGroup: logs.LogGroup;
  /** The base URL callers sign requests for, without a trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: PipelineHttpApiProps) {
    super(scope, id);
    const removalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, {
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy,
      });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the HTTP API function.',
    });
    this.logGroup = logGroup('Logs');
    // In place of AWSLambdaBasicExecutionRole: writes to this log group only.
    this.logGroup.grantWrite(this.role);

    const defaults = functionDefaults({
      serviceName: 'api',
      logGroup: this.logGroup,
      logLevel: props.logLevel ?? 'INFO',
    });
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: 'Serves the HTTP API: the route table of @pipeline/api.',
      entry: props.entry ?? join(repoRoot, 'functions/api.ts'),
      memorySize: 512,
      // Below the HTTP API's 30 s integration limit, so a slow call ends as the function's 500.
      timeout: Duration.seconds(15),
      role: this.role,
      ...props.placement,
      environment: {
        ...defaults.environment,
        [EnvVar.tableName]: props.mainTable.tableName,
        [EnvVar.aggregatesTableName]: props.aggregatesTable.tableName,
        [EnvVar.openSearchUrl]: props.search.endpointUrl,
        [EnvVar.openSearchSigV4]: 'true',
        [EnvVar.openSearchService]: props.search.signingService,
      },
    });
    acknowledgeFunctionDefaults(this.function, this.role);
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'API Gateway invokes the function synchronously and returns its error to the caller; a dead-letter queue applies to asynchronous invocations only.',
    });
    this.grantHandlerCalls(props);

    // One integration and one invoke permission for the whole API, not one per route.
    const integration = new HttpLambdaIntegration('Function', this.function, {
      scopePermissionToRoute: false,
    });
    this.httpApi = new apigwv2.HttpApi(this, 'Api', {
      description: 'The pipeline HTTP API; every route requires a SigV4-signed request.',
      createDefaultStage: false,
      defaultAuthorizer: new HttpIamAuthorizer(),
      defaultIntegration: integration,
    });
    for (const route of deployedRoutes()) {
      this.httpApi.addRoutes({ path: route.path, methods: [route.method], integration });
    }

    this.accessLogGroup = logGroup('AccessLogs');
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    this.url = this.stage.url.replace(/\/$/, '');
  }

  /**
   * Lets `grantee` call every route (`execute-api:Invoke` on this API's `$default` stage).
   *
   * @example
   * api.grantInvoke(new iam.ArnPrincipal('arn:aws:iam::123456789012:role/orders-service'));
   */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.httpApi.arnForExecuteApi('*', '/*', '$default')],
    });
  }

  /** Exactly what functions/api.ts calls: store writes and reads by key, aggregate reads, `_search`. */
  private grantHandlerCalls(props: PipelineHttpApiProps): void {
    const { role } = this;
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: [...API_MAIN_TABLE_ACTIONS],
      resourceArns: [props.mainTable.tableArn],
    });
    props.mainTable.encryptionKey?.grant(
      role,
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    );
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: [...API_AGGREGATES_TABLE_ACTIONS],
      resourceArns: [props.aggregatesTable.tableArn],
    });
    props.aggregatesTable.encryptionKey?.grant(role, 'kms:Decrypt');

    const { search } = props;
    if (search.signingService === 'aoss') {
      iam.Grant.addToPrincipal({
        grantee: role,
        actions: ['aoss:APIAccessAll'],
        resourceArns: [search.resourceArn],
      });
    } else {
      iam.Grant.addToPrincipal({
        grantee: role,
        actions: [...SEARCH_READ_ACTIONS],
        resourceArns: SEARCH_READ_PATHS.map((path) => `${search.resourceArn}/${path}`),
      });
    }
  }
}
