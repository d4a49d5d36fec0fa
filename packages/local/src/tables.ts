import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, type TableDeclaration } from '@pipeline/model';

/**
 * Creates a table from its declaration unless it exists, waits until it is active and
 * turns on TTL. Returns the stream ARN when the table has a stream.
 *
 * @example
 * const streamArn = await ensureTable(client, mainTable, 'orders-local');
 */
export const ensureTable = async (
  client: DynamoDBClient,
  table: TableDeclaration,
  tableName: string,
): Promise<string | undefined> => {
  let created = false;
  try {
    await client.send(new CreateTableCommand(createTableInput(table, tableName)));
    created = true;
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1 }, { TableName: tableName });
  if (created) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
  const description = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return description.Table?.LatestStreamArn;
};
