import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createMainTable, type TestTable } from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalTtlProcess } from '../src/ttl-process.js';

let table: TestTable;
beforeAll(async () => {
  table = await createMainTable();
});

const ttlProcess = (client: DynamoDBClient, ledgerFile: string, send?: DynamoDBClient['send']) =>
  new LocalTtlProcess({
    client: send ? ({ send } as DynamoDBClient) : client,
    tableName: table.tableName,
    attribute: 'ttl',
    keyAttributes: ['PK', 'SK'],
    ledgerFile,
  });

const removeOf = (pk: string, ttl: number): DynamoDBRecord => ({
  eventName: 'REMOVE',
  dynamodb: { OldImage: { PK: { S: pk }, SK: { S: 'METADATA' }, ttl: { N: String(ttl) } } },
});

const put = (pk: string, ttl: number) =>
  table.client.send(
    new PutItemCommand({
      TableName: table.tableName,
      Item: marshall({ PK: pk, SK: 'METADATA', ttl }),
    }),
  );

describe('LocalTtlProcess', () => {
  it('deletes only expired items, and a restarted process still recognises its deletions', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ttl-')), 'ledger.jsonl');
    const now = Math.floor(Date.now() / 1000);
    await put('SESSION#old', now - 10);
    await put('SESSION#live', now + 3600);

    expect(await ttlProcess(table.client, ledger).sweep()).toBe(1);

    const live = await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: marshall({ PK: 'SESSION#live', SK: 'METADATA' }),
      }),
    );
    expect(live.Item).toBeDefined();
    const restarted = ttlProcess(table.client, ledger);
    expect(restarted.expired(removeOf('SESSION#old', now - 10))).toBe(true);
    expect(restarted.expired(removeOf('SESSION#live', now + 3600))).toBe(false);
  });

  it("never claims a user's delete that wins the race against a sweep", async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'ttl-')), 'ledger.jsonl');
    const ttl = Math.floor(Date.now() / 1000) - 10;
    await put('SESSION#raced', ttl);
    // The user's delete lands between the sweep's Scan and its conditional DeleteItem.
    const racing: DynamoDBClient['send'] = async (command: never) => {
      if ((command as object) instanceof DeleteItemCommand) {
        await table.client.send(
          new DeleteItemCommand({
            TableName: table.tableName,
            Key: marshall({ PK: 'SESSION#raced', SK: 'METADATA' }),
          }),
        );
      }
      return table.client.send(command);
    };
    const process = ttlProcess(table.client, ledger, racing);

    expect(await process.sweep()).toBe(0);
    await process.settled();

    expect(process.expired(removeOf('SESSION#raced', ttl))).toBe(false);
    expect(ttlProcess(table.client, ledger).expired(removeOf('SESSION#raced', ttl))).toBe(false);
  });
});
