import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  insertRecord,
  modifyRecord,
  type PlainItem,
  removeRecord,
  ttlRemoveRecord,
} from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import { expect } from 'vitest';
import { aggregates } from '../src/declarations.js';
import { verify } from '../src/maintenance.js';

/**
 * Writes items to a real main table and returns the stream records those writes produce,
 * so tests deliver what DynamoDB Streams would, and recompute from what the table holds.
 */
export class MainTableWriter {
  private readonly images = new Map<string, PlainItem>();
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(item: PlainItem): Promise<DynamoDBRecord> {
    const key = `${item.PK}\u0000${item.SK}`;
    const old = this.images.get(key);
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: marshall(item) }));
    this.images.set(key, item);
    return old ? modifyRecord(old, item) : insertRecord(item);
  }

  async remove(item: PlainItem, by: 'user' | 'ttl' = 'user'): Promise<DynamoDBRecord> {
    const key = `${item.PK}\u0000${item.SK}`;
    const old = this.images.get(key) ?? item;
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall({ PK: item.PK, SK: item.SK }),
      }),
    );
    this.images.delete(key);
    return by === 'ttl' ? ttlRemoveRecord(old) : removeRecord(old);
  }
}

/** Asserts that the live aggregates equal the recomputation from the main table exactly. */
export const expectNoDrift = async (
  client: DynamoDBClient,
  tableName: string,
  aggregatesTableName: string,
) => {
  const result = await verify({
    client,
    tableName,
    aggregatesTableName,
    declarations: aggregates,
    segments: 2,
  });
  expect(result.drifts).toEqual([]);
  expect(result.countersCompared).toBeGreaterThan(0);
  return result;
};
