import { consumerNamed } from '@pipeline/consumers';
import { validateConsumer } from '@pipeline/pipeline';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { StreamConsumerFunction } from '../../infra/lib/constructs/stream-consumer.js';

const mappingOf = (settings: { retryAttempts: number; maxRecordAgeSeconds: number }) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Unlimited');
  const table = new dynamodb.Table(stack, 'Table', {
    partitionKey: { name: 'PK', type: dynamodb.AttributeType.STRING },
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
  });
  new StreamConsumerFunction(stack, 'Consumer', {
    definition: validateConsumer({ ...consumerNamed('sync-search'), ...settings }),
    table,
    logRetentionDays: 7,
  });
  const mappings = Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping');
  expect(Object.keys(mappings)).toHaveLength(1);
  return Object.values(mappings)[0]!.Properties as Record<string, unknown>;
};

// MaximumRetryAttempts and MaximumRecordAgeInSeconds take -1 for infinite
// (AWS::Lambda::EventSourceMapping; services-ddb-params).
describe('an event source mapping without limits', () => {
  it('writes -1 for both unlimited retries and no maximum record age', () => {
    // Act
    const properties = mappingOf({ retryAttempts: -1, maxRecordAgeSeconds: -1 });
    // Assess
    expect(properties).toMatchObject({ MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1 });
  });

  it('writes the largest finite values Lambda accepts unchanged', () => {
    // Act
    const properties = mappingOf({ retryAttempts: 10_000, maxRecordAgeSeconds: 604_800 });
    // Assess
    expect(properties).toMatchObject({
      MaximumRetryAttempts: 10_000,
      MaximumRecordAgeInSeconds: 604_800,
    });
  });
});
