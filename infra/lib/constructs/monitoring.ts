/** Alarms and a dashboard over the consumers, the tables and the search domain. */
import { pipeline } from '@pipeline/consumers';
import { BATCH_ITEM_FAILURES_METRIC, METRICS_NAMESPACE } from '@pipeline/pipeline';
import { Duration, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StreamConsumerFunction } from './stream-consumer.js';
import type { PipelineTable } from './table.js';

/** Thresholds of the alarms, named once for the stack and its tests. */
export const AlarmThreshold = {
  /** A consumer more than a minute behind its stream. */
  iteratorAgeMs: 60_000,
  /** A quarter of the data node's volume left. */
  freeStorageFraction: 0.25,
  /** JVM heap in use on a data node, in percent, minute after minute. */
  jvmMemoryPressurePercent: 80,
  /** Minutes of pressure above the threshold before the alarm: a GC can clear a spike. */
  jvmMemoryPressureMinutes: 5,
  /** Minutes (of {@link AlarmThreshold.outOfMinutes}) with throttles or 5xx before the alarm. */
  troubledMinutes: 3,
  /** The window the troubled minutes are counted in. */
  outOfMinutes: 5,
} as const;

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  readonly consumers: readonly StreamConsumerFunction[];
  /**
   * The Powertools service names of the consumers whose handlers publish
   * `BatchItemFailures` (one alarm each); a function that runs several consumers publishes
   * one series per consumer.
   * @default every consumer of the pipeline definition
   */
  readonly failureReporters?: readonly string[];
  /**
   * Tables whose read and write throttle events raise an alarm, by a short kebab-case name.
   * @default none
   */
  readonly tables?: Readonly<Record<string, PipelineTable>>;
  /**
   * The domain this stack created.
   * @default no search alarms
   */
  readonly domain?: opensearch.Domain;
  /** EBS volume per data node of `domain`, in GiB. */
  readonly domainVolumeGiB?: number;
  /**
   * Address subscribed to the alarm topic.
   * @default none
   */
  readonly alarmEmail?: string;
}

/**
 * Per function: iterator age over 60 s, errors, throttles and a non-empty DLQ. Per consumer:
 * records its handler reported failed (`BatchItemFailures`). Per table: throttle events.
 * For the domain: cluster red or yellow, low free storage, JVM memory pressure, 5xx answers
 * and blocked index writes. Every alarm notifies one SNS topic.
 *
 * @example
 * new PipelineMonitoring(this, 'Monitoring', {
 *   consumers, tables: { main: mainTable }, domain: search.domain, domainVolumeGiB: 10,
 * });
 */
export class PipelineMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true });
    if (props.alarmEmail) {
      const subscription = this.topic.addSubscription(
        new subscriptions.EmailSubscription(props.alarmEmail),
      );
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An alarm lives on in CloudWatch whether or not its email arrives, so a queue of undelivered notifications would hold nothing the dashboard lacks.',
      });
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });

    for (const consumer of props.consumers) {
      const name = consumer.definition.name;
      const fn = consumer.function;
      const sum = { statistic: 'Sum', period: Duration.minutes(1) };
      this.alarm(`${name}-iterator-age`, consumer.metricIteratorAge(), {
        threshold: AlarmThreshold.iteratorAgeMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${name} is more than 60 s behind the table's stream.`,
      });
      this.alarm(`${name}-errors`, fn.metricErrors(sum), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${name} failed whole invocations (records are retried, then sent to the DLQ).`,
      });
      this.alarm(`${name}-throttles`, fn.metricThrottles(sum), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${name} was throttled, so its shards fall behind.`,
      });
      this.alarm(`${name}-dead-letters`, consumer.metricDeadLetters(), {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${name} skipped a batch; replay it from the stream within 24 h of its records.`,
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: `${name}: iterator age`,
          left: [consumer.metricIteratorAge()],
          leftAnnotations: [{ value: AlarmThreshold.iteratorAgeMs, label: '60 s' }],
        }),
        new cloudwatch.GraphWidget({
          title: `${name}: invocations, errors, throttles`,
          left: [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)],
        }),
        new cloudwatch.GraphWidget({
          title: `${name}: duration`,
          left: [
            fn.metricDuration({ statistic: 'p99' }),
            fn.metricDuration({ statistic: 'Average' }),
          ],
        }),
        new cloudwatch.SingleValueWidget({
          title: `${name}: DLQ depth`,
          metrics: [consumer.metricDeadLetters()],
        }),
      );
    }

    for (const service of props.failureReporters ?? pipeline.map((consumer) => consumer.name)) {
      const failures = metricBatchItemFailures(service);
      this.alarm(`${service}-batch-item-failures`, failures, {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `${service} reported records failed; Lambda retries from the lowest, and a record that keeps failing holds its shard back.`,
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: `${service}: failed records`, left: [failures] }),
      );
    }

    const troubled = {
      evaluationPeriods: AlarmThreshold.outOfMinutes,
      datapointsToAlarm: AlarmThreshold.troubledMinutes,
    };
    for (const [name, table] of Object.entries(props.tables ?? {})) {
      const throttles = table.metricThrottleEvents();
      this.alarm(`${name}-table-throttles`, throttles, {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `The ${name} table or an index of it throttled reads or writes in ${AlarmThreshold.troubledMinutes} of ${AlarmThreshold.outOfMinutes} minutes.`,
        ...troubled,
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: `${name} table: throttle events`, left: [throttles] }),
      );
    }

    const { domain } = props;
    if (domain) {
      const max = { statistic: 'Maximum', period: Duration.minutes(1) };
      this.alarm('search-cluster-red', domain.metricClusterStatusRed(max), {
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: 'A primary shard of the search domain is unassigned.',
      });
      this.alarm('search-cluster-yellow', domain.metricClusterStatusYellow(max), {
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription: 'A replica shard of the search domain is unassigned.',
        evaluationPeriods: 5,
      });
      const freeStorage = domain.metricFreeStorageSpace({
        statistic: 'Minimum',
        period: Duration.minutes(5),
      });
      this.alarm('search-free-storage', freeStorage, {
        // FreeStorageSpace is reported in MiB.
        threshold: (props.domainVolumeGiB ?? 10) * 1024 * AlarmThreshold.freeStorageFraction,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        alarmDescription: 'A search data node has less than a quarter of its storage free.',
      });
      const jvmMemoryPressure = domain.metricJVMMemoryPressure(max);
      this.alarm('search-jvm-memory-pressure', jvmMemoryPressure, {
        threshold: AlarmThreshold.jvmMemoryPressurePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `A search data node has used more than ${AlarmThreshold.jvmMemoryPressurePercent}% of its JVM heap for ${AlarmThreshold.jvmMemoryPressureMinutes} minutes; held above 92%, the service blocks writes.`,
        evaluationPeriods: AlarmThreshold.jvmMemoryPressureMinutes,
      });
      const serverErrors = domain.metric('5xx', { statistic: 'Sum', period: Duration.minutes(1) });
      this.alarm('search-5xx', serverErrors, {
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        alarmDescription: `The search domain answered 5xx in ${AlarmThreshold.troubledMinutes} of ${AlarmThreshold.outOfMinutes} minutes.`,
        ...troubled,
      });
      const writesBlocked = domain.metricClusterIndexWritesBlocked({
        statistic: 'Maximum',
        period: Duration.minutes(5),
      });
      this.alarm('search-index-writes-blocked', writesBlocked, {
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        alarmDescription:
          'The search domain is blocking index writes (storage or memory pressure), so sync-search fails every batch.',
      });
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'search: JVM memory pressure (%)',
          left: [jvmMemoryPressure],
          leftAnnotations: [{ value: AlarmThreshold.jvmMemoryPressurePercent }],
        }),
        new cloudwatch.GraphWidget({
          title: 'search: 5xx and blocked writes',
          left: [serverErrors],
          right: [writesBlocked],
        }),
      );
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({
          title: 'search: cluster status',
          left: [domain.metricClusterStatusRed(max), domain.metricClusterStatusYellow(max)],
        }),
        new cloudwatch.GraphWidget({ title: 'search: free storage (MiB)', left: [freeStorage] }),
        new cloudwatch.GraphWidget({
          title: 'search: indexing and search latency',
          left: [domain.metricIndexingLatency(), domain.metricSearchLatency()],
        }),
      );
    }
  }

  private alarm(
    name: string,
    metric: cloudwatch.IMetric,
    options: Omit<cloudwatch.CreateAlarmOptions, 'evaluationPeriods' | 'alarmName'> & {
      readonly evaluationPeriods?: number;
    },
  ): void {
    const alarm = new cloudwatch.Alarm(this, name, {
      metric,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

/**
 * The `BatchItemFailures` count one consumer's handler publishes through Powertools Metrics,
 * which names the service in a dimension called `service`; summed per minute.
 */
export const metricBatchItemFailures = (service: string): cloudwatch.Metric =>
  new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: BATCH_ITEM_FAILURES_METRIC,
    dimensionsMap: { service },
    statistic: 'Sum',
    period: Duration.minutes(1),
  });
