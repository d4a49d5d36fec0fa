/** A DynamoDB table built from one of `@pipeline/model`'s declarations, never restated here. */

import type { KeyAttribute, TableDeclaration } from '@pipeline/model';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

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
 * main.grantQuery(fn.role);
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

  private grantKey(grantee: iam.IGrantable, ...actions: string[]): void {
    this.table.encryptionKey?.grant(grantee, ...actions);
  }

  /** Lets `grantee` read items and query the table and its indexes, nothing more. */
  grantQuery(grantee: iam.IGrantable): iam.Grant {
    this.grantKey(grantee, 'kms:Decrypt');
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
      resourceArns: this.tableAndIndexArns(),
    });
  }

  /**
   * Lets `grantee` read and write single items, including inside TransactWriteItems, which
   * IAM authorises per contained action; no scans, batch writes or table changes.
   */
  grantItemReadWrite(grantee: iam.IGrantable): iam.Grant {
    this.grantKey(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    return iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      ],
      resourceArns: this.tableAndIndexArns(),
    });
  }
}
