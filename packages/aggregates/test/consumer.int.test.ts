import { type DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import {
  createAggregatesTable,
  createMainTable,
  insertRecord,
  streamEvent,
} from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDbSender } from '../src/apply.js';
import { createAggregatesConsumer } from '../src/consumer.js';
import { type AggregatesReader, createAggregatesReader } from '../src/read.js';
import { expectNoDrift, MainTableWriter } from './int-support.js';
import { order, view } from './support.js';

let client: DynamoDBClient;
let mainTableName: string;
let aggregatesTableName: string;
let writer: MainTableWriter;
let reader: AggregatesReader;
const noSleep = async () => {};
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  const main = await createMainTable();
  const aggregatesTable = await createAggregatesTable();
  client = main.client;
  mainTableName = main.tableName;
  aggregatesTableName = aggregatesTable.tableName;
  writer = new MainTableWriter(client, mainTableName);
  reader = createAggregatesReader({ client, tableName: aggregatesTableName });
});

const consumer = (sender: DynamoDbSender = client, maxAttempts = 8) =>
  createAggregatesConsumer({
    tableName: aggregatesTableName,
    client: sender,
    sleep: noSleep,
    maxAttempts,
    logger: quiet,
  });

const deliver = async (records: DynamoDBRecord[], sender?: DynamoDbSender) =>
  consumer(sender)(streamEvent(...records));

/** A user's totals, read consistently. */
const totalsOf = (userId: string) => reader.getUserTotals(userId, { consistentRead: true });
/** A product's views, read consistently. */
const viewsOf = (productId: string) => reader.getProductViews(productId, { consistentRead: true });
/** The live aggregates equal the recomputation from the main table. */
const expectNoDriftFromMainTable = () => expectNoDrift(client, mainTableName, aggregatesTableName);

/**
 * A client whose transactions commit, but whose response is then lost (thrown as `error`)
 * whenever `lose()` says so.
 */
const losingTransactionResponses = (error: string, lose = () => true): DynamoDbSender => ({
  send: (async (command: Parameters<DynamoDBClient['send']>[0]) => {
    const output = await client.send(command as never);
    if (command instanceof TransactWriteItemsCommand && lose()) throw new Error(error);
    return output;
  }) as DynamoDBClient['send'],
});

describe('update-aggregates consumer against DynamoDB Local', () => {
  it('skips records already applied when every batch is delivered twice', async () => {
    // prepare
    const records = [
      await writer.put(
        order({
          orderId: 'twice1',
          userId: 'twiceU',
          status: 'paid',
          amount: 10,
          createdAt: '2024-06-01T10:00:00.000Z',
        }),
      ),
      await writer.put(
        order({
          orderId: 'twice2',
          userId: 'twiceU',
          status: 'paid',
          amount: 20,
          createdAt: '2024-06-01T11:00:00.000Z',
        }),
      ),
      await writer.put(
        view({ productId: 'twiceP', viewId: 'tv1', at: '2024-06-01T10:00:00.000Z' }),
      ),
    ];
    // act
    for (const batch of [records.slice(0, 2), records.slice(2)]) {
      expect(await deliver(batch)).toEqual({ batchItemFailures: [] });
      expect(await deliver(batch)).toEqual({ batchItemFailures: [] });
    }
    // assess: 0.10 + 0.20 in minor units is exactly 30
    expect(await totalsOf('twiceU')).toEqual({ orders: 2, spend: { EUR: 30 } });
    expect(await viewsOf('twiceP')).toBe(1);
    await expectNoDriftFromMainTable();
  });

  it('applies a batch once when it is replayed after a crash between the transaction and the response', async () => {
    // prepare: a client whose transactions commit but whose responses are lost
    const crashing = losingTransactionResponses('socket hang up after commit');
    const records = [
      await writer.put(order({ orderId: 'crash1', userId: 'crashU', status: 'paid', amount: 700 })),
      await writer.put(view({ productId: 'crashP', viewId: 'cv1' })),
    ];
    // act: the first invocation fails without retrying, Lambda replays the batch
    const first = await consumer(crashing, 1)(streamEvent(...records));
    const replay = await deliver(records);
    // assess
    expect(first.batchItemFailures.length).toBeGreaterThan(0);
    expect(replay).toEqual({ batchItemFailures: [] });
    expect(await totalsOf('crashU')).toEqual({ orders: 1, spend: { EUR: 700 } });
    expect(await viewsOf('crashP')).toBe(1);
    await expectNoDriftFromMainTable();
  });

  it('re-reads the state after a lost response and finds the transaction applied', async () => {
    // prepare: the first transaction's response is lost
    let lost = 0;
    const losesOnce = losingTransactionResponses('ECONNRESET', () => lost++ === 0);
    const records = [await writer.put(view({ productId: 'lostP', viewId: 'lv1' }))];
    // act
    const response = await deliver(records, losesOnce);
    // assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await viewsOf('lostP')).toBe(1);
  });

  it('ends exact when bisected halves are delivered and then the whole batch', async () => {
    // prepare
    const records: DynamoDBRecord[] = [];
    for (let index = 0; index < 10; index++) {
      const placed = order({
        orderId: `bis${index}`,
        userId: `bisU${index % 3}`,
        status: 'pending',
        amount: 100 + index,
      });
      records.push(await writer.put(placed));
      records.push(await writer.put({ ...placed, status: 'paid' }));
      records.push(await writer.put(view({ productId: `bisP${index % 2}`, viewId: `bv${index}` })));
    }
    // act
    expect(await deliver(records.slice(0, 15))).toEqual({ batchItemFailures: [] });
    expect(await deliver(records.slice(15))).toEqual({ batchItemFailures: [] });
    expect(await deliver(records)).toEqual({ batchItemFailures: [] });
    // assess
    expect(await viewsOf('bisP0')).toBe(5);
    await expectNoDriftFromMainTable();
  });

  it('ends exact when two consumers race status transitions delivered out of order', async () => {
    // prepare: 12 orders through pending → paid → shipped → delivered
    const history: DynamoDBRecord[][] = [];
    for (let index = 0; index < 12; index++) {
      const placed = order({
        orderId: `race${index}`,
        userId: `raceU${index % 4}`,
        amount: 1000 + index,
      });
      const steps: DynamoDBRecord[] = [];
      for (const status of ['pending', 'paid', 'shipped', 'delivered'] as const) {
        steps.push(await writer.put({ ...placed, status }));
      }
      history.push(steps);
    }
    const all = history.flat();
    // Lane A sees the stream backwards in small batches, lane B forwards in pairs with each batch twice.
    const laneA = [...all].reverse();
    const batchesA = Array.from({ length: Math.ceil(laneA.length / 5) }, (_, i) =>
      laneA.slice(i * 5, i * 5 + 5),
    );
    const batchesB = Array.from({ length: Math.ceil(all.length / 2) }, (_, i) =>
      all.slice(i * 2, i * 2 + 2),
    ).flatMap((batch) => [batch, batch]);
    const runLane = async (batches: DynamoDBRecord[][]) => {
      for (const batch of batches) expect(await deliver(batch)).toEqual({ batchItemFailures: [] });
    };
    // act
    await Promise.all([runLane(batchesA), runLane(batchesB)]);
    // assess
    const counts = await reader.getStatusCounts({ consistentRead: true });
    expect(counts.delivered).toBe(12);
    await expectNoDriftFromMainTable();
  });

  it('withdraws deleted and expired orders from the gauges and keeps them in lifetime totals', async () => {
    // prepare
    const day = '2024-07-04T09:00:00.000Z';
    const kept = order({
      orderId: 'gone0',
      userId: 'goneU',
      status: 'paid',
      amount: 300,
      createdAt: day,
    });
    const deleted = order({
      orderId: 'gone1',
      userId: 'goneU',
      status: 'paid',
      amount: 400,
      createdAt: day,
    });
    const expired = order({
      orderId: 'gone2',
      userId: 'goneU',
      status: 'paid',
      amount: 500,
      createdAt: day,
    });
    const viewed = view({ productId: 'goneP', viewId: 'gv1', at: day });
    const before = (await reader.getStatusCounts({ consistentRead: true })).paid;
    const created = [
      await writer.put(kept),
      await writer.put(deleted),
      await writer.put(expired),
      await writer.put(viewed),
    ];
    expect(await deliver(created)).toEqual({ batchItemFailures: [] });
    // act
    const removals = [
      await writer.remove(deleted),
      await writer.remove(expired, 'ttl'),
      await writer.remove(viewed, 'ttl'),
    ];
    expect(await deliver(removals)).toEqual({ batchItemFailures: [] });
    expect(await deliver([...created, ...removals])).toEqual({ batchItemFailures: [] });
    // assess
    expect((await reader.getStatusCounts({ consistentRead: true })).paid).toBe(before + 1);
    expect(await totalsOf('goneU')).toEqual({ orders: 3, spend: { EUR: 1200 } });
    expect(
      await reader.getDailySeries(
        { from: '2024-07-04', to: '2024-07-04' },
        { consistentRead: true },
      ),
    ).toEqual([{ day: '2024-07-04', orders: 3, revenue: { EUR: 1200 } }]);
    expect(await viewsOf('goneP')).toBe(1);
    expect(
      await reader.getTopProducts({ day: '2024-07-04', limit: 5 }, { consistentRead: true }),
    ).toEqual([{ productId: 'goneP', views: 1 }]);
    await expectNoDriftFromMainTable();
  });

  it('reports a poison record while the rest of the batch applies', async () => {
    // prepare
    const good = await writer.put(view({ productId: 'poisonP', viewId: 'pv1' }));
    const poison = insertRecord(order({ orderId: 'poison1', userId: 'poisonU' }));
    (poison.dynamodb as { NewImage: unknown }).NewImage = {
      entityType: { S: 'Order' },
      total: { Q: 'not a type' },
    };
    // act
    const response = await deliver([poison, good]);
    // assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: poison.dynamodb?.SequenceNumber }],
    });
    expect(await viewsOf('poisonP')).toBe(1);
    expect(await totalsOf('poisonU')).toEqual({ orders: 0, spend: {} });
    await expectNoDriftFromMainTable();
  });
});
