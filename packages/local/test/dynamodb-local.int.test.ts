import { spawnSync } from 'node:child_process';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createMainTable, localDynamoDbClient } from '../../../test/support/dynamodb.js';
import { startDynamoDbLocal } from '../src/index.js';

const javaProcessesOnPort = (port: number): number =>
  spawnSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${port}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean).length;

describe('DynamoDB Local', () => {
  it('answers on the endpoint the suite provides, with the test table created from the model', async () => {
    const table = await createMainTable();
    const client = localDynamoDbClient();
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toContain(table.tableName);
    expect(table.streamArn).toMatch(/^arn:aws:dynamodb:/);
    client.destroy();
  });

  it('starts on a free port and leaves no Java process behind after stop', async () => {
    const dynamodb = await startDynamoDbLocal();
    expect(javaProcessesOnPort(dynamodb.port)).toBe(1);
    await dynamodb.stop();
    await dynamodb.stop();
    expect(javaProcessesOnPort(dynamodb.port)).toBe(0);
  });
});
