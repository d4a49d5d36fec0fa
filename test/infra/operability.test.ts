import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from '@pipeline/consumers';
import { mainTable } from '@pipeline/model';
import {
  ACCESS_ACTIONS,
  type Access,
  BATCH_ITEM_FAILURES_METRIC,
  METRICS_NAMESPACE,
} from '@pipeline/pipeline';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/lib/bundling.js';
import { GLACIER_IR_BREAK_EVEN_BYTES } from '../../infra/lib/constructs/archive-bucket.js';
import { AlarmThreshold } from '../../infra/lib/constructs/monitoring.js';
import { XRAY_TRACING_ACTIONS } from '../../infra/lib/function-defaults.js';
import { logicalIdIn, roleStatements } from './policies.js';
import { synthesise } from './synth.js';

const { stack, template } = synthesise({});

const logicalId = (construct: IConstruct): string => logicalIdIn(stack, construct);

const statementsOf = (roleLogicalId: string) => roleStatements(template, roleLogicalId);

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The role's actions of the given services, by the resource they are granted on. */
const actionsByResource = (roleLogicalId: string, services: RegExp): Record<string, string[]> => {
  const byResource: Record<string, Set<string>> = {};
  for (const statement of statementsOf(roleLogicalId)) {
    const actions = list(statement.Action).filter((action) => services.test(action));
    for (const resource of list(statement.Resource)) {
      const key = JSON.stringify(resource);
      const granted = byResource[key] ?? new Set<string>();
      for (const action of actions) granted.add(action);
      if (granted.size > 0) byResource[key] = granted;
    }
  }
  return Object.fromEntries(
    Object.entries(byResource).map(([key, actions]) => [key, [...actions].sort()]),
  );
};

describe('tracing and logs', () => {
  const functions = Object.entries(template.findResources('AWS::Lambda::Function'));

  it('traces every function the stack creates with X-Ray, actively', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
    }
  });

  it('writes every function log as JSON, application lines at the logLevel setting and Lambda lines at INFO', () => {
    for (const [id, fn] of functions) {
      expect(fn.Properties.LoggingConfig, id).toEqual({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'INFO',
        LogGroup: expect.anything(),
      });
    }
  });

  it('writes the log level once: Lambda passes it to Powertools, so POWERTOOLS_LOG_LEVEL is not set', () => {
    for (const [id, fn] of functions) {
      expect(Object.keys(fn.Properties.Environment?.Variables ?? {}), id).not.toContain(
        'POWERTOOLS_LOG_LEVEL',
      );
    }
  });

  it('takes the application log level from the logLevel setting', () => {
    const debug = synthesise({ logLevel: 'DEBUG' }).template;
    const levels = Object.values(debug.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Properties.LoggingConfig.ApplicationLogLevel,
    );
    expect(new Set(levels)).toEqual(new Set(['DEBUG']));
  });

  it('lets each consumer role put traces, the only grant besides ListStreams on "*"', () => {
    for (const consumer of stack.consumers) {
      const onAnyResource = statementsOf(logicalId(consumer.role))
        .filter((statement) => list(statement.Resource).includes('*'))
        .flatMap((statement) => list(statement.Action));
      expect(onAnyResource.sort()).toEqual(
        ['dynamodb:ListStreams', ...XRAY_TRACING_ACTIONS].sort(),
      );
    }
  });
});

describe('exact grants', () => {
  const tableArn = (construct: IConstruct) =>
    JSON.stringify({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
  const resourceOf: Record<Exclude<Access, 'writeSearch'>, () => string> = {
    readMainTable: () => tableArn(stack.mainTable.table),
    writeAggregates: () => tableArn(stack.aggregatesTable.table),
    writeArchive: () =>
      JSON.stringify({
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalId(stack.archive.bucket), 'Arn'] }, '/archive/*'],
        ],
      }),
  };

  it.each(stack.consumers.map((consumer) => [consumer.definition.name, consumer] as const))(
    'grants %s exactly the DynamoDB and S3 calls its consumers make, each on its one resource',
    (_name, consumer) => {
      const expected: Record<string, string[]> = {};
      for (const access of consumer.definition.access) {
        if (access === 'writeSearch') continue;
        expected[resourceOf[access]()] = [...ACCESS_ACTIONS[access]].sort();
      }
      // What the event source mapping itself needs, and nothing more.
      expected[JSON.stringify({ 'Fn::GetAtt': [logicalId(stack.mainTable.table), 'StreamArn'] })] =
        ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];
      expected['"*"'] = ['dynamodb:ListStreams'];

      expect(actionsByResource(logicalId(consumer.role), /^(dynamodb|s3):/)).toEqual(expected);
    },
  );

  it('grants no call a consumer does not make: no GetItem on the main table, no Query or DeleteItem on the aggregates', () => {
    expect(ACCESS_ACTIONS.readMainTable).not.toContain('dynamodb:GetItem');
    expect(ACCESS_ACTIONS.writeAggregates).not.toContain('dynamodb:Query');
    expect(ACCESS_ACTIONS.writeAggregates).not.toContain('dynamodb:DeleteItem');
  });

  it('grants neither Scan, DeleteItem, nor an index to any consumer', () => {
    for (const consumer of stack.consumers) {
      const statements = JSON.stringify(statementsOf(logicalId(consumer.role)));
      expect(statements).not.toMatch(/dynamodb:(Scan|DeleteItem|BatchWriteItem)|\/index\//);
    }
  });
});

describe('alarms', () => {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

  it.each(pipeline.map((consumer) => [consumer.name] as const))(
    "watches the failed records %s's handler reports, by the service dimension Powertools sets",
    (name) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRICS_NAMESPACE,
        MetricName: BATCH_ITEM_FAILURES_METRIC,
        Dimensions: [{ Name: 'service', Value: name }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    },
  );

  it('watches read and write throttle events of both tables and of each index of the main table', () => {
    const throttleAlarms = alarms.filter((alarm) =>
      JSON.stringify(alarm.Properties.Metrics ?? []).includes('ThrottleEvents'),
    );
    expect(throttleAlarms).toHaveLength(2);
    const watched = throttleAlarms.map((alarm) =>
      (
        alarm.Properties.Metrics as {
          MetricStat?: {
            Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
          };
        }[]
      )
        .flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : []))
        .map((metric) => ({
          metric: metric.MetricName,
          table: JSON.stringify(metric.Dimensions.find((d) => d.Name === 'TableName')!.Value),
          index: metric.Dimensions.find((d) => d.Name === 'GlobalSecondaryIndexName')?.Value,
        })),
    );
    const scopes = (table: IConstruct, indexes: readonly (string | undefined)[]) =>
      indexes.flatMap((index) =>
        ['ReadThrottleEvents', 'WriteThrottleEvents'].map((metric) => ({
          metric,
          table: JSON.stringify({ Ref: logicalId(table) }),
          index,
        })),
      );
    const byMetric = (a: { metric: string; index?: unknown }, b: typeof a) =>
      `${a.index}${a.metric}`.localeCompare(`${b.index}${b.metric}`);
    expect(
      watched.map((metrics) => [...metrics].sort(byMetric)).sort((a, b) => b.length - a.length),
    ).toEqual([
      scopes(stack.mainTable.table, [
        undefined,
        ...mainTable.globalSecondaryIndexes.map((index) => index.indexName),
      ]).sort(byMetric),
      scopes(stack.aggregatesTable.table, [undefined]).sort(byMetric),
    ]);
    for (const alarm of throttleAlarms) {
      expect(alarm.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: AlarmThreshold.outOfMinutes,
        DatapointsToAlarm: AlarmThreshold.troubledMinutes,
      });
      // A minute with no throttle event of one kind is 0, so it cannot blank the others.
      const expression = (alarm.Properties.Metrics as { Expression?: string }[]).find(
        (query) => query.Expression,
      )!.Expression!;
      expect(expression).toMatch(/^FILL\(\w+, 0\)( \+ FILL\(\w+, 0\))+$/);
    }
  });

  it('watches JVM memory pressure above 80% for five minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ES',
      MetricName: 'JVMMemoryPressure',
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 80,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
    });
  });

  it('watches 5xx answers of the domain in three of five minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ES',
      MetricName: '5xx',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
    });
  });

  it('watches blocked index writes, as the OpenSearch Service recommends: at least 1 over 5 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ES',
      MetricName: 'ClusterIndexWritesBlocked',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  it('notifies the alarm topic from each of them, on alarm and on recovery', () => {
    const topic = { Ref: logicalId(stack.monitoring.topic) };
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
  });
});

describe('archive lifecycle', () => {
  const rules = (context: Record<string, string>) =>
    Object.values(synthesise(context).template.findResources('AWS::S3::Bucket'))
      .map((bucket) => bucket.Properties.LifecycleConfiguration?.Rules as Record<string, unknown>[])
      .find((candidate) => candidate?.some((rule) => rule.Transitions))!;

  it('moves objects larger than the break-even size to Glacier IR: the 128 KB default would move none', () => {
    const [transition] = rules({}).filter((rule) => rule.Transitions);
    expect(transition).toEqual({
      Id: 'age-into-glacier-ir',
      Status: 'Enabled',
      // CloudFormation takes the size as a string of digits.
      ObjectSizeGreaterThan: String(GLACIER_IR_BREAK_EVEN_BYTES),
      Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
    });
    // Below 128 KB, where S3 would transition nothing by default, and above 22.3 KiB, the
    // size at which Standard costs what Glacier IR bills for its 128 KB minimum.
    expect(GLACIER_IR_BREAK_EVEN_BYTES).toBeGreaterThan((128 * 1024 * 0.004) / 0.023);
    expect(GLACIER_IR_BREAK_EVEN_BYTES).toBeLessThan(128 * 1024);
  });

  it('expires and cleans up objects of every size, in a rule with no size filter', () => {
    const unfiltered = rules({ archiveExpiryDays: '2555' }).filter((rule) => !rule.Transitions);
    expect(unfiltered).toEqual([
      {
        Id: 'expire-and-clean-up',
        Status: 'Enabled',
        ExpirationInDays: 2555,
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
  });

  it('gives the size and its reasoning in docs/deploy.md', () => {
    const docs = readFileSync(join(repoRoot, 'docs', 'deploy.md'), 'utf8');
    expect(docs).toContain('### Archive storage classes');
    expect(docs).toContain(GLACIER_IR_BREAK_EVEN_BYTES.toLocaleString('en-US'));
  });
});
