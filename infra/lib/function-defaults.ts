/**
 * What every Lambda function of the stack shares, written once: the runtime, the bundle,
 * active X-Ray tracing, Lambda's JSON log format with its application and system log
 * levels, and Powertools' service name and metrics namespace. Stream consumers, the API and
 * the search setup all take their props from {@link functionDefaults}.
 */
import { join } from 'node:path';
import { METRICS_NAMESPACE } from '@pipeline/pipeline';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { cdkBundlingOptions, repoRoot } from './bundling.js';
import { acknowledgeWildcardResources } from './nag.js';
import type { PipelineSettings } from './settings.js';

/** The application log level of every function: the `logLevel` setting. */
export type LogLevel = PipelineSettings['logLevel'];

/**
 * Lambda's own lines (START, END and REPORT, which alone carries the memory used) are
 * written at INFO; WARN would drop them and keep only platform faults.
 */
export const SYSTEM_LOG_LEVEL = lambda.SystemLogLevel.INFO;

/** What active tracing lets a role do; X-Ray takes no resource, so the grant names "*". */
export const XRAY_TRACING_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/** Options of {@link functionDefaults}. */
export interface FunctionDefaultsOptions {
  /** Powertools' service name: the `service` dimension of its metrics and field of its logs. */
  readonly serviceName: string;
  /** The function's own log group, with its retention. */
  readonly logGroup: logs.ILogGroup;
  /** Level of the application's log lines; Powertools reads it from `AWS_LAMBDA_LOG_LEVEL`. */
  readonly logLevel: LogLevel;
}

/**
 * The `NodejsFunction` props every function of the stack shares. Lambda sets
 * `AWS_LAMBDA_LOG_LEVEL` from `applicationLogLevelV2`, and Powertools' Logger takes that
 * before `POWERTOOLS_LOG_LEVEL`, so the level is written here once and the Powertools
 * variable is left out. Spread it first and add the function's own props after.
 *
 * @example
 * const fn = new NodejsFunction(this, 'Function', {
 *   ...functionDefaults({ serviceName: 'api', logGroup, logLevel: settings.logLevel }),
 *   entry: join(repoRoot, 'functions/api.ts'), role, memorySize: 512, timeout: Duration.seconds(10),
 * });
 * acknowledgeFunctionDefaults(fn, role);
 */
export const functionDefaults = (options: FunctionDefaultsOptions) =>
  ({
    handler: 'handler',
    projectRoot: repoRoot,
    depsLockFilePath: join(repoRoot, 'package-lock.json'),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    bundling: cdkBundlingOptions(),
    tracing: lambda.Tracing.ACTIVE,
    logGroup: options.logGroup,
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel[options.logLevel],
    systemLogLevelV2: SYSTEM_LOG_LEVEL,
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: options.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    },
  }) satisfies NodejsFunctionProps;

/** Why a role's statement on Resource "*" is right: the actions that take no resource. */
export const RESOURCE_LESS_ACTIONS = {
  tracing: 'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing)',
  streamMapping: 'dynamodb:ListStreams (the event source mapping)',
} as const;

// The role's one statement on "*", acknowledged by naming what it holds.
const acknowledgeResourceLessActions = (
  role: IConstruct,
  uses: readonly (keyof typeof RESOURCE_LESS_ACTIONS)[],
): void =>
  acknowledgeWildcardResources(
    role,
    ['*'],
    `Only account-level actions that take no resource are granted on "*": ${uses
      .map((use) => RESOURCE_LESS_ACTIONS[use])
      .join(' and ')}.`,
  );

/**
 * Acknowledges, with reasons, what every function built on {@link functionDefaults} brings
 * by design: the Node.js 22 runtime (AwsSolutions-L1, Serverless-LambdaLatestVersion) and
 * the role's statement on Resource "*" (AwsSolutions-IAM5), which holds the
 * {@link RESOURCE_LESS_ACTIONS} named in `resourceLess` (tracing at least).
 *
 * @example
 * acknowledgeFunctionDefaults(fn, role);
 */
export const acknowledgeFunctionDefaults = (
  fn: IConstruct,
  role: iam.IRole & IConstruct,
  resourceLess: readonly (keyof typeof RESOURCE_LESS_ACTIONS)[] = ['tracing'],
): void => {
  const runtime =
    'Node.js 22 is the runtime the handlers are built and tested for; a runtime upgrade is a deliberate change, not a lint fix.';
  Validations.of(fn).acknowledge(
    { id: 'AwsSolutions-L1', reason: runtime },
    { id: 'Serverless-LambdaLatestVersion', reason: runtime },
  );
  acknowledgeResourceLessActions(role, resourceLess);
};

/**
 * Acknowledges Serverless-LambdaDLQ on a function that only `invoker` calls, and
 * synchronously: a dead-letter queue receives only failed asynchronous invocations, so it
 * would stay empty. Failures go where the invoker sends them (an event source mapping's
 * on-failure destination, an HTTP 5xx, a failed deployment).
 *
 * @example
 * acknowledgeSynchronousInvocation(fn, 'API Gateway');
 */
export const acknowledgeSynchronousInvocation = (fn: IConstruct, invoker: string): void => {
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason: `Only ${invoker} invokes this function, synchronously, so a dead-letter queue for asynchronous invocations would never receive anything.`,
  });
};

/**
 * Brings a function the stack does not build itself, such as a custom-resource provider's
 * framework function, to the same tracing and logs as {@link functionDefaults}: active
 * X-Ray tracing with its grant, and Lambda's JSON log format at `logLevel` (system lines at
 * {@link SYSTEM_LOG_LEVEL}), keeping the log group it has. Acknowledges the grant's "*" as
 * {@link acknowledgeFunctionDefaults} does.
 *
 * @example
 * adoptFunctionDefaults(provider.node.findChild('framework-onEvent') as lambda.Function, 'INFO');
 */
export const adoptFunctionDefaults = (fn: lambda.Function, logLevel: LogLevel): void => {
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  cfn.tracingConfig = { mode: lambda.Tracing.ACTIVE };
  // The L2 writes an object here, never a token, so the log group it names can be kept.
  const logging = cfn.loggingConfig as lambda.CfnFunction.LoggingConfigProperty | undefined;
  cfn.loggingConfig = {
    ...logging,
    logFormat: lambda.LoggingFormat.JSON,
    applicationLogLevel: lambda.ApplicationLogLevel[logLevel],
    systemLogLevel: SYSTEM_LOG_LEVEL,
  };
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: [...XRAY_TRACING_ACTIONS], resources: ['*'] }),
  );
  if (fn.role) acknowledgeResourceLessActions(fn.role, ['tracing']);
};
