/** A DynamoDB table built from one of `@pipeline/model`'s declarations, never restated here. */

import type { KeyAttribute, TableDeclaration } from '@pipeline/model';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** An item-level DynamoDB action, as IAM names it. */
export type DynamoDbAction = `dynamodb:${string}`;

/** Options of {@link PipelineTable.grant}. */
export interface PipelineTableGrantOptions {
  /**
   * Grant the actions on each global secondary index too, by name.
   * @default the table alone
   */
  readonly indexes?: boolean;
}

// Actions that never change an item; a grant of only these needs only kms:Decrypt.
const READ_ACTIONS: ReadonlySet<string> = new Set([
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
]);

/** Props of {@link PipelineTable}. */
export interface PipelineTableProps {
  /** The table's shape: keys, indexes, TTL attribute and stream. */
  readonly declaration: TableDeclaration;
  /**
   * Keep the table on stack deletion and refuse deletes through the API.
   * @default false
   */
  readonly retain?: boolean;
  /**
   * Customer-managed key for encryption at rest.
   * @default an AWS-owned key
   */
  readonly encryptionKey?: kms.IKey;
}

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: dynamodb.AttributeType[({ S: 'STRING', N: 'NUMBER', B: 'BINARY' } as const)[key.type]],
});

/**
 * An on-demand table with point-in-time recovery, shaped by a model declaration.
 *
 * @example
 * const main = new PipelineTable(this, 'MainTable', { declaration: mainTable, retain: true });
 * main.grant(fn.role, ['dynamodb:Query', 'dynamodb:BatchGetItem']);
 */
export class PipelineTable extends Construct {
  /** The underlying table. */
  readonly table: dynamodb.Table;
  private readonly declaration: TableDeclaration;

  constructor(scope: Construct, id: string, props: PipelineTableProps) {
    super(scope, id);
    const { declaration } = props;
    this.declaration = declaration;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: attribute(declaration.partitionKey),
      sortKey: attribute(declaration.sortKey),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: declaration.timeToLiveAttribute,
      ...(declaration.streamViewType
        ? { stream: dynamodb.StreamViewType[declaration.streamViewType] }
        : {}),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.retain ?? false,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(props.encryptionKey
        ? {
            encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryptionKey: props.encryptionKey,
          }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    });
    for (const index of declaration.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** The ARNs of the table and of each of its indexes, by name: no wildcard. */
  private tableAndIndexArns(): string[] {
    return [
      this.table.tableArn,
      ...this.declaration.globalSecondaryIndexes.map(
        (index) => `${this.table.tableArn}/index/${index.indexName}`,
      ),
    ];
  }

  /**
   * Read and write throttle events of the table and of each of its indexes, summed per
   * minute. These count every throttled event, one item of a batch included, where
   * `ThrottledRequests` counts a batch only when all of it was throttled.
   */
  metricThrottleEvents(): cloudwatch.MathExpression {
    const sum = { statistic: 'Sum', period: Duration.minutes(1) };
    const scopes = [
      {},
      ...this.declaration.globalSecondaryIndexes.map((index) => ({
        GlobalSecondaryIndexName: index.indexName,
      })),
    ];
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    scopes.forEach((scope, n) => {
      for (const [id, metricName] of [
        [`read${n}`, 'ReadThrottleEvents'],
        [`write${n}`, 'WriteThrottleEvents'],
      ] as const) {
        usingMetrics[id] = this.table.metric(metricName, {
          ...sum,
          dimensionsMap: { TableName: this.table.tableName, ...scope },
        });
      }
    });
    return new cloudwatch.MathExpression({
      // A metric DynamoDB did not report in a minute is 0 there, not a gap that blanks the sum.
      expression: Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics,
      label: 'Throttle events',
      period: sum.period,
    });
  }

  /**
   * Lets `grantee` make exactly `actions` on the table, and on its indexes when `indexes`
   * is set; nothing is added. With a customer-managed key, a grant holding only reads gets
   * `kms:Decrypt`, one with any write gets the key's write actions too.
   */
  grant(
    grantee: iam.IGrantable,
    actions: readonly DynamoDbAction[],
    options: PipelineTableGrantOptions = {},
  ): iam.Grant {
    const writes = actions.some((action) => !READ_ACTIONS.has(action));
    this.table.encryptionKey?.grant(
      grantee,
      ...(writes
        ? ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']
        : ['kms:Decrypt']),
    );
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [...actions],
      resourceArns: options.indexes ? this.tableAndIndexArns() : [this.table.tableArn],
    });
  }
}
