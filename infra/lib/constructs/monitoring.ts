/** Alarms and a dashboard over the consumers and the search domain. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { StreamConsumerFunction } from './stream-consumer.js';

/** Thresholds of the alarms, named once for the stack and its tests. */
export const AlarmThreshold = {
  /** A consumer more than a minute behind its stream. */
  iteratorAgeMs: 60_000,
  /** A quarter of the data node's volume left. */
  freeStorageFraction: 0.25,
} as const;

/** Props of {@link PipelineMonitoring}. */
export interface PipelineMonitoringProps {
  readonly consumers: readonly StreamConsumerFunction[];
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
 * Per consumer: iterator age over 60 s, errors, throttles and a non-empty DLQ. For the
 * domain: cluster red or yellow and low free storage. Every alarm notifies one SNS topic.
 *
 * @example
 * new PipelineMonitoring(this, 'Monitoring', { consumers, domain: search.domain, domainVolumeGiB: 10 });
 */
export class PipelineMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: PipelineMonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true });
    if (props.alarmEmail) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
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
