/** One stream consumer of the pipeline definition: its function, log group, DLQ and event source. */
import { join } from 'node:path';
import { type ConsumerDefinition, UNLIMITED } from '@pipeline/pipeline';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { repoRoot } from '../bundling.js';
import { InfraSettingError } from '../errors.js';
import {
  acknowledgeFunctionDefaults,
  acknowledgeSynchronousInvocation,
  functionDefaults,
  type LogLevel,
} from '../function-defaults.js';
import { acknowledgeWildcardActions, acknowledgeWildcardResources } from '../nag.js';
import type { FunctionPlacement } from './network.js';

// Longer than the stream's 24 h retention, so a DLQ'd batch's metadata outlives the records
// it points at and the gap stays visible.
const DLQ_RETENTION = Duration.days(14);

/**
 * An S3 on-failure destination granting only what Lambda needs, "s3:PutObject and
 * s3:ListBucket" on the execution role (services-dynamodb-errors), where the CDK's
 * `S3OnFailureDestination` grants read and write on the whole bucket.
 */
const onFailureBucket = (bucket: s3.IBucket): lambda.IEventSourceDlq => ({
  bind: (_mapping, target) => {
    bucket.encryptionKey?.grant(target, 'kms:GenerateDataKey', 'kms:Decrypt');
    target.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
    );
    target.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${ON_FAILURE_PREFIX}*`)],
      }),
    );
    if (target.role && Construct.isConstruct(target.role)) {
      acknowledgeWildcardResources(
        target.role,
        [bucket.arnForObjects(`${ON_FAILURE_PREFIX}*`)],
        'Lambda names each on-failure object by mapping, shard, date and a random id under aws/lambda/, so the grant names that prefix.',
      );
    }
    return { destination: bucket.bucketArn };
  },
});

/** Where Lambda writes every on-failure object. */
const ON_FAILURE_PREFIX = 'aws/lambda/';

/** Props of {@link StreamConsumerFunction}. */
export interface StreamConsumerFunctionProps {
  /** The consumer's entry in the pipeline definition; every setting comes from it. */
  readonly definition: ConsumerDefinition;
  /** The table whose stream feeds the consumer. */
  readonly table: dynamodb.ITable;
  /**
   * The handler module.
   * @default the definition's `handler`, resolved from the repository root
   */
  readonly entry?: string;
  /**
   * Environment beyond Powertools' own.
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Retention of the function's log group, in days. */
  readonly logRetentionDays: number;
  /**
   * Level of the function's application logs (Lambda's JSON log format filters by it).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Customer-managed key for the DLQ.
   * @default SQS-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Destroy the log group and queue with the stack.
   * @default false
   */
  readonly destroyOnRemoval?: boolean;
  /**
   * The S3 on-failure destination, for a definition whose `onFailure` is `bucket`.
   * @default none; required for such a definition
   */
  readonly onFailureBucket?: s3.IBucket;
  /**
   * Run the function inside a VPC: its subnets and security groups.
   * @default not in a VPC
   */
  readonly placement?: FunctionPlacement;
}

/**
 * A consumer's Lambda function ({@link functionDefaults}: Node.js 22, ARM64, esbuild-bundled
 * ESM with source maps, active X-Ray tracing, JSON logs), its own role and log group, and
 * its DynamoDB stream event source with an SQS on-failure queue, all taken from one
 * {@link ConsumerDefinition}.
 *
 * @example
 * const consumer = new StreamConsumerFunction(this, 'SyncSearch', {
 *   definition: consumerNamed('sync-search'), table: main.table, logRetentionDays: 30,
 * });
 */
export class StreamConsumerFunction extends Construct {
  readonly definition: ConsumerDefinition;
  readonly function: NodejsFunction;
  /** The function's own role; grants from `access` land here. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /**
   * Receives the metadata of every batch that ran out of retries or record age; undefined
   * when the definition's `onFailure` is `bucket`, whose destination is `onFailureBucket`.
   */
  readonly deadLetterQueue: sqs.Queue | undefined;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: StreamConsumerFunctionProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;
    const removalPolicy = props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${definition.name} stream consumer.`,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    // In place of AWSLambdaBasicExecutionRole: writes to this log group only.
    this.logGroup.grantWrite(this.role);

    const defaults = functionDefaults({
      serviceName: definition.name,
      logGroup: this.logGroup,
      logLevel: props.logLevel ?? 'INFO',
    });
    this.function = new NodejsFunction(this, 'Function', {
      ...defaults,
      description: definition.description,
      entry: props.entry ?? join(repoRoot, definition.handler),
      memorySize: definition.memoryMiB,
      timeout: Duration.seconds(definition.timeoutSeconds),
      role: this.role,
      ...props.placement,
      environment: { ...defaults.environment, ...props.environment },
    });

    const toBucket = definition.onFailure === 'bucket';
    if (toBucket && !props.onFailureBucket) {
      throw new InfraSettingError(
        'onFailure',
        `${definition.name} sends failures to a bucket, but none was given`,
      );
    }
    this.deadLetterQueue = toBucket
      ? undefined
      : new sqs.Queue(this, 'DeadLetterQueue', {
          retentionPeriod: DLQ_RETENTION,
          enforceSSL: true,
          ...(props.encryptionKey
            ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
            : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
          removalPolicy,
        });

    this.eventSource = new DynamoEventSource(props.table, {
      startingPosition: lambda.StartingPosition[definition.startingPosition],
      batchSize: definition.batchSize,
      maxBatchingWindow: Duration.seconds(definition.maxBatchingWindowSeconds),
      reportBatchItemFailures: definition.reportBatchItemFailures,
      bisectBatchOnError: definition.bisectBatchOnError,
      // The CDK passes -1 (retry until the record expires) through as it is.
      retryAttempts: definition.retryAttempts,
      // A Duration cannot be negative, so -1 (no age limit) is written below instead.
      ...(definition.maxRecordAgeSeconds === UNLIMITED
        ? {}
        : { maxRecordAge: Duration.seconds(definition.maxRecordAgeSeconds) }),
      parallelizationFactor: definition.parallelizationFactor,
      // No patterns means every record: an empty FilterCriteria list is left out, not sent.
      ...(definition.filters.length > 0
        ? {
            filters: definition.filters.map((pattern) =>
              lambda.FilterCriteria.filter({ ...pattern }),
            ),
          }
        : {}),
      // S3 destinations also keep the whole invocation payload, so a replay needs no stream.
      onFailure: this.deadLetterQueue
        ? new SqsDlq(this.deadLetterQueue)
        : onFailureBucket(props.onFailureBucket!),
      // Lambda's per-mapping event counts, from polled to dropped.
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
    });
    this.function.addEventSource(this.eventSource);
    if (definition.maxRecordAgeSeconds === UNLIMITED) {
      // Explicit rather than left out, so an update from a finite age really lifts the limit.
      const mapping = this.function.node
        .findAll()
        .find(
          (child): child is lambda.CfnEventSourceMapping =>
            child instanceof lambda.CfnEventSourceMapping,
        );
      mapping?.addPropertyOverride('MaximumRecordAgeInSeconds', UNLIMITED);
    }

    const lastStop =
      "This queue is the event source mapping's on-failure destination, the last stop; its messages are replayed by an operator, not redriven.";
    if (this.deadLetterQueue) {
      Validations.of(this.deadLetterQueue).acknowledge(
        { id: 'AwsSolutions-SQS3', reason: lastStop },
        { id: 'Serverless-SQSRedrivePolicy', reason: lastStop },
      );
    }
    acknowledgeSynchronousInvocation(this.function, 'its event source mapping');
    acknowledgeFunctionDefaults(this.function, this.role, ['streamMapping', 'tracing']);
    if (props.encryptionKey && this.deadLetterQueue) {
      acknowledgeWildcardActions(
        this.role,
        ['kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        "These are the actions SqsDlq grants on the queue's key so the mapping can send to the encrypted DLQ; the resource is that one key.",
      );
    }
  }

  /** Adds an environment variable to the function. */
  addEnvironment(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }

  /** The age of the newest record processed, at its maximum per minute. */
  metricIteratorAge(): cloudwatch.Metric {
    return this.function.metric('IteratorAge', {
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
  }

  /**
   * Batches waiting in the on-failure queue; for an S3 destination, which has no depth, the
   * records Lambda delivered to it per minute.
   */
  metricDeadLetters(): cloudwatch.IMetric {
    if (this.deadLetterQueue) {
      return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
    }
    return new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OnFailureDestinationDeliveredEventCount',
      dimensionsMap: { EventSourceMappingUUID: this.eventSource.eventSourceMappingId },
      statistic: 'Sum',
      period: Duration.minutes(1),
    });
  }
}
