import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createAggregatesTable, createMainTable, streamEvent } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { readGeneration } from '../src/apply.js';
import { createAggregatesConsumer } from '../src/consumer.js';
import { aggregates } from '../src/declarations.js';
import { counterKey } from '../src/keys.js';
import { rebuild, verify } from '../src/maintenance.js';
import { createAggregatesReader } from '../src/read.js';
import { expectNoDrift, MainTableWriter } from './int-support.js';
import { order, view } from './support.js';

let client: DynamoDBClient;
let tableName: string;
let aggregatesTableName: string;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  const main = await createMainTable();
  client = main.client;
  tableName = main.tableName;
  aggregatesTableName = (await createAggregatesTable()).tableName;
});

describe('verify and rebuild', () => {
  it('finds drift in a tampered counter, rebuilds into a new generation and then verifies clean', async () => {
    // prepare
    const writer = new MainTableWriter(client, tableName);
    const consumer = createAggregatesConsumer({
      tableName: aggregatesTableName,
      client,
      logger: quiet,
    });
    const records = [
      await writer.put(order({ orderId: 'r1', userId: 'ru', status: 'paid', amount: 250 })),
      await writer.put(order({ orderId: 'r2', userId: 'ru', status: 'pending', amount: 150 })),
      await writer.put(view({ productId: 'rp', viewId: 'rv1' })),
      await writer.put(view({ productId: 'rp', viewId: 'rv2' })),
    ];
    expect(await consumer(streamEvent(...records))).toEqual({ batchItemFailures: [] });
    const expired = await writer.remove(view({ productId: 'rp', viewId: 'rv2' }), 'ttl');
    expect(await consumer(streamEvent(expired))).toEqual({ batchItemFailures: [] });
    await expectNoDrift(client, tableName, aggregatesTableName);
    const tampered = counterKey(0, 'STATUS', 'paid', 0);
    await client.send(
      new UpdateItemCommand({
        TableName: aggregatesTableName,
        Key: { PK: { S: tampered.PK }, SK: { S: tampered.SK } },
        UpdateExpression: 'ADD orders :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    const options = {
      client,
      tableName,
      aggregatesTableName,
      declarations: aggregates,
      segments: 2,
    };
    const drifted = await verify(options);
    expect(drifted.drifts).toEqual([
      { counter: 'STATUS/paid', field: 'orders', expected: 1n, actual: 2n },
    ]);
    // act
    const progress: number[] = [];
    const result = await rebuild({ ...options, onProgress: (scanned) => progress.push(scanned) });
    // assess
    expect(result).toMatchObject({ previousGeneration: 0, generation: 1 });
    expect(await readGeneration(client, aggregatesTableName, true)).toBe(1);
    expect(progress.length).toBeGreaterThan(0);
    expect((await verify(options)).drifts).toEqual([]);
    const reader = createAggregatesReader({ client, tableName: aggregatesTableName });
    expect((await reader.getStatusCounts({ consistentRead: true })).paid).toBe(1);
    // The expired view is no longer in the main table; its count was carried over.
    expect(await reader.getProductViews('rp', { consistentRead: true })).toBe(2);
    // The consumer follows the pointer: a replay is refused in the new generation too.
    expect(await consumer(streamEvent(...records, expired))).toEqual({ batchItemFailures: [] });
    const moved = await writer.put(
      order({ orderId: 'r2', userId: 'ru', status: 'paid', amount: 150 }),
    );
    expect(await consumer(streamEvent(moved))).toEqual({ batchItemFailures: [] });
    expect(await reader.getProductViews('rp', { consistentRead: true })).toBe(2);
    expect(await reader.getUserTotals('ru', { consistentRead: true })).toEqual({
      orders: 2,
      spend: { EUR: 400 },
    });
    await expectNoDrift(client, tableName, aggregatesTableName);
  });
});
