import type { DynamoDBClient, TransactWriteItemsCommandInput } from '@aws-sdk/client-dynamodb';
import { TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import {
  createAggregatesTable,
  insertRecord,
  nextSequenceNumber,
  streamEvent,
} from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import type { DynamoDbSender } from '../src/apply.js';
import { createAggregatesConsumer } from '../src/consumer.js';
import { productViews } from '../src/declarations.js';
import { view } from './support.js';

/** Wraps the real client and counts the writes each counter item takes. */
const recordingClient = (client: DynamoDBClient) => {
  const writes = new Map<string, number>();
  const sender: DynamoDbSender = {
    send: (async (command: Parameters<DynamoDBClient['send']>[0]) => {
      if (command instanceof TransactWriteItemsCommand) {
        for (const item of (command.input as TransactWriteItemsCommandInput).TransactItems ?? []) {
          const key = item.Update?.Key;
          if (key)
            writes.set(
              `${key.PK?.S}|${key.SK?.S}`,
              (writes.get(`${key.PK?.S}|${key.SK?.S}`) ?? 0) + 1,
            );
        }
      }
      return client.send(command as never);
    }) as DynamoDBClient['send'],
  };
  return { sender, writes };
};

describe('hot-key spread', () => {
  it('keeps every counter item of a product viewed 1,000 times a second under 1,000/N writes a second', async () => {
    // prepare: 3 simulated seconds of 1,000 views/s to one product, delivered by Lambda in
    // batches of 10 from two concurrent lanes (small batches are the worst case for spread).
    const { client, tableName } = await createAggregatesTable();
    const { sender, writes } = recordingClient(client);
    const consumer = createAggregatesConsumer({
      tableName,
      client: sender,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const seconds = 3;
    const perSecond = 1000;
    const batchSize = 10;
    const perItemPerSecond: Map<string, number>[] = [];
    // act
    for (let second = 0; second < seconds; second++) {
      writes.clear();
      const records = Array.from({ length: perSecond }, (_, index) =>
        insertRecord(
          view({ productId: 'hot', viewId: `s${second}v${index}`, at: '2024-05-01T12:00:00.000Z' }),
          {
            sequenceNumber: nextSequenceNumber(),
          },
        ),
      );
      const batches = Array.from({ length: perSecond / batchSize }, (_, i) =>
        records.slice(i * batchSize, (i + 1) * batchSize),
      );
      const lanes = [batches.filter((_, i) => i % 2 === 0), batches.filter((_, i) => i % 2 === 1)];
      await Promise.all(
        lanes.map(async (lane) => {
          for (const batch of lane)
            expect(await consumer(streamEvent(...batch))).toEqual({ batchItemFailures: [] });
        }),
      );
      perItemPerSecond.push(new Map(writes));
    }
    // assess
    const limit = perSecond / productViews.shards;
    for (const counts of perItemPerSecond) {
      const productCounters = [...counts].filter(([key]) => key.startsWith('G0#PRODUCT#hot|'));
      expect(productCounters.length).toBeGreaterThan(1);
      for (const [, count] of counts) expect(count).toBeLessThanOrEqual(limit);
    }
  });
});
