/**
 * The physical shape of the two tables, declared once. The local table creation, the
 * CDK stack and the stream consumers all read these declarations.
 */

/** A key attribute of a table or index. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/** A global secondary index, always projecting every attribute. */
export interface GlobalSecondaryIndex {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
}

/** Everything about a table except its name, which differs per deployment and per test. */
export interface TableDeclaration {
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalSecondaryIndex[];
  /** Attribute holding an expiry in epoch seconds. */
  readonly timeToLiveAttribute: string;
  /** `undefined` means the table has no stream. */
  readonly streamViewType: 'NEW_AND_OLD_IMAGES' | undefined;
}

/** Names of the main table's indexes. */
export const IndexName = {
  /** Users by email, orders by status, products by category. */
  gsi1: 'GSI1',
  /** Sparse: only flagged orders carry GSI2PK. */
  gsi2: 'GSI2',
} as const;

/**
 * The single table of users, orders, products, sessions and views.
 *
 * @example
 * createTableInput(mainTable, 'orders-dev')
 */
export const mainTable: TableDeclaration = {
  partitionKey: { name: 'PK', type: 'S' },
  sortKey: { name: 'SK', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: IndexName.gsi1,
      partitionKey: { name: 'GSI1PK', type: 'S' },
      sortKey: { name: 'GSI1SK', type: 'S' },
    },
    {
      indexName: IndexName.gsi2,
      partitionKey: { name: 'GSI2PK', type: 'S' },
      sortKey: { name: 'GSI2SK', type: 'S' },
    },
  ],
  timeToLiveAttribute: 'ttl',
  streamViewType: 'NEW_AND_OLD_IMAGES',
};

/**
 * The materialised aggregates and the per-source-item state behind them. It has no
 * stream, so the pipeline never consumes its own writes.
 */
export const aggregatesTable: TableDeclaration = {
  partitionKey: { name: 'PK', type: 'S' },
  sortKey: { name: 'SK', type: 'S' },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: 'ttl',
  streamViewType: undefined,
};

/** The shape of DynamoDB's CreateTable input that this project uses, without SDK types. */
export interface CreateTableInput {
  TableName: string;
  BillingMode: 'PAY_PER_REQUEST';
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  GlobalSecondaryIndexes?: {
    IndexName: string;
    KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
    Projection: { ProjectionType: 'ALL' };
  }[];
  StreamSpecification?: { StreamEnabled: true; StreamViewType: 'NEW_AND_OLD_IMAGES' };
}

/**
 * Builds the CreateTable request for a declaration.
 *
 * @example
 * await client.send(new CreateTableCommand(createTableInput(mainTable, 'orders-test')));
 */
export const createTableInput = (table: TableDeclaration, tableName: string): CreateTableInput => {
  const keyAttributes = [
    table.partitionKey,
    table.sortKey,
    ...table.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ];
  const unique = new Map(keyAttributes.map((attribute) => [attribute.name, attribute.type]));
  const input: CreateTableInput = {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...unique].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: table.sortKey.name, KeyType: 'RANGE' },
    ],
  };
  if (table.globalSecondaryIndexes.length > 0) {
    input.GlobalSecondaryIndexes = table.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  if (table.streamViewType) {
    input.StreamSpecification = { StreamEnabled: true, StreamViewType: table.streamViewType };
  }
  return input;
};
