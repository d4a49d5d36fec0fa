import { mappings } from '@pipeline/consumers';
import { mappingFunction } from '@pipeline/pipeline';
import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FAILURE_RETENTION_DAYS } from '../../infra/lib/constructs/failure-bucket.js';
import { blockAllPublicAccess } from './resources.js';
import { synthesise } from './synth.js';

// Every mapping of the definition, with an S3 on-failure destination instead of a queue.
const synthesiseWithBucket = () =>
  synthesise(
    {},
    false,
    mappings.map((mapping) => ({ ...mappingFunction(mapping), onFailure: 'bucket' as const })),
  );

describe("onFailure 'bucket'", () => {
  const { stack, template } = synthesiseWithBucket();
  const bucketId = stack.resolve(
    stack.getLogicalId(stack.failureBucket!.bucket.node.defaultChild as CfnElement),
  ) as string;

  it("points each event source mapping's on-failure destination at one private bucket, with no queue", () => {
    template.resourceCountIs('AWS::SQS::Queue', 0);
    template.resourcePropertiesCountIs(
      'AWS::Lambda::EventSourceMapping',
      {
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [bucketId, 'Arn'] } } },
        MetricsConfig: { Metrics: ['EventCount'] },
      },
      mappings.length,
    );
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: blockAllPublicAccess,
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ ExpirationInDays: FAILURE_RETENTION_DAYS })],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'failure-bucket/' }),
    });
  });

  it('grants each function only s3:ListBucket on the bucket and s3:PutObject under aws/lambda/', () => {
    const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
    for (const consumer of stack.consumers) {
      const roleId = stack.resolve(
        stack.getLogicalId(consumer.role.node.defaultChild as CfnElement),
      ) as string;
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) =>
          JSON.stringify(policy.Properties.Roles).includes(JSON.stringify({ Ref: roleId })),
        )
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter((statement) => JSON.stringify(statement.Resource).includes(bucketId));
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: 's3:ListBucket', Resource: bucketArn }),
          expect.objectContaining({
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [bucketArn, '/aws/lambda/*']] },
          }),
        ]),
      );
      expect(statements).toHaveLength(2);
    }
  });

  it('alarms on records delivered to the destination, since a bucket has no depth', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Namespace: 'AWS/Lambda',
    });
  });
});
