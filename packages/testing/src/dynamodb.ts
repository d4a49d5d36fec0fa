import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { ensureTable, localAwsClientConfig } from '@pipeline/local';
import { aggregatesTable, mainTable, type TableDeclaration } from '@pipeline/model';
import { afterAll, inject } from 'vitest';

/** A DynamoDB client for the run's shared DynamoDB Local. */
export const localDynamoDbClient = (): DynamoDBClient =>
  new DynamoDBClient(localAwsClientConfig(inject('dynamodbEndpoint')));

/** A DynamoDB Streams client for the run's shared DynamoDB Local. */
export const localStreamsClient = (): DynamoDBStreamsClient =>
  new DynamoDBStreamsClient(localAwsClientConfig(inject('dynamodbEndpoint')));

/** A fresh, uniquely named table, deleted after the file's tests. */
export interface TestTable {
  readonly tableName: string;
  readonly streamArn: string | undefined;
  readonly client: DynamoDBClient;
}

export const createTestTable = async (
  declaration: TableDeclaration,
  prefix: string,
): Promise<TestTable> => {
  const client = localDynamoDbClient();
  const tableName = `${prefix}-${randomUUID()}`;
  const streamArn = await ensureTable(client, declaration, tableName);
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
    client.destroy();
  });
  return { tableName, streamArn, client };
};

/** Creates the main table under a unique name for one test file. */
export const createMainTable = (): Promise<TestTable> => createTestTable(mainTable, 'main');

/** Creates the aggregates table under a unique name for one test file. */
export const createAggregatesTable = (): Promise<TestTable> =>
  createTestTable(aggregatesTable, 'aggregates');
