/**
 * Search sync: OpenSearch requests per 1,000 stream records, transform CPU per record, and
 * write-to-searchable latency, through DynamoDB Local, the local runner and the local
 * OpenSearch node.
 *
 * - Requests: the table is filled first, then the runner reads the stream from the trim
 *   horizon in full batches (500, as the sync-search definition says), and a counting
 *   wrapper over the client counts `_bulk` calls. The baseline is the pattern of public
 *   samples: one index or delete request per record, i.e. 1,000 per 1,000 records.
 * - CPU: planning, projection and NDJSON serialisation of those same records, with the
 *   table reads served from memory, so only our transform is timed.
 * - Freshness: new orders at 200 writes/s while the runner and consumer run; each order's
 *   latency is from the start of its write until a search finds it (the index refreshes
 *   every second, as on a real domain by default).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { consumerNamed } from '@pipeline/consumers';
import {
  ensureTable,
  LocalRunner,
  localAwsClientConfig,
  startDynamoDbLocal,
} from '@pipeline/local';
import { mainTable } from '@pipeline/model';
import { startOpenSearchNode } from '@pipeline/opensearch-local';
import {
  type BulkClient,
  createSearchClient,
  createSearchSyncConsumer,
  ensureSearchIndices,
  planSync,
  projectOrder,
  type SourceItem,
  searchIndexNames,
  serializeOperation,
} from '@pipeline/search';
import { createStore } from '@pipeline/store';
import { decodeRecord } from '@pipeline/streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { type Benchmark, type Figure, percentile } from './figure.js';

const SEED_USERS = 300;
const ORDERS_PER_USER = 2;
const RATE_PER_SECOND = 200;
const FRESHNESS_SECONDS = 8;

const line = (n: number) => ({
  productId: `p${n % 50}`,
  name: `Product ${n % 50}`,
  quantity: 1 + (n % 3),
  unitPrice: { amount: 100 + n, currency: 'EUR' },
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

export const benchmark: Benchmark = {
  title: 'Search sync: bulk requests, transform CPU and freshness',
  async run(): Promise<Figure[]> {
    const dynamodbLocal = await startDynamoDbLocal();
    const server = await startOpenSearchNode();
    const stateDirectory = mkdtempSync(join(tmpdir(), 'search-bench-'));
    const dynamodb = new DynamoDBClient(localAwsClientConfig(dynamodbLocal.endpoint));
    const streams = new DynamoDBStreamsClient(localAwsClientConfig(dynamodbLocal.endpoint));
    const search = createSearchClient({ node: server.url });
    const runners: LocalRunner[] = [];
    try {
      const tableName = 'search-bench';
      const streamArn = (await ensureTable(dynamodb, mainTable, tableName))!;
      await ensureSearchIndices(search);
      const store = createStore({ tableName, client: dynamodb });

      // Fill the table: users, orders with two lines, and one status change per order.
      let n = 0;
      for (let u = 0; u < SEED_USERS; u++) {
        const userId = `u${u}`;
        await store.users.create({ userId, email: `${userId}@example.com`, name: `User ${u}` });
        const orders = [];
        for (let k = 0; k < ORDERS_PER_USER; k++) {
          orders.push(
            store.orders.create({ userId, orderId: `o${u}x${k}`, items: [line(n++), line(n++)] }),
          );
        }
        for (const { order } of await Promise.all(orders)) {
          await store.orders.updateStatus({
            userId,
            orderId: order.orderId,
            expectedRev: order.rev,
            to: 'paid',
          });
        }
      }

      // Requests per 1,000 records: count `_bulk` calls while the runner drains the stream.
      let bulkCalls = 0;
      const counting: BulkClient = {
        bulk: ((params: never, options: never) => {
          bulkCalls++;
          return search.bulk(params, options);
        }) as never,
      };
      const consumer = createSearchSyncConsumer({
        client: counting,
        dynamodb,
        tableName,
        logger: silent,
      });
      const events: DynamoDBStreamEvent[] = [];
      let records = 0;
      const runner = new LocalRunner({
        streamArn,
        client: streams,
        consumers: [
          {
            definition: consumerNamed('sync-search'),
            handler: async (event) => {
              events.push(event);
              records += event.Records.length;
              return consumer(event);
            },
          },
        ],
        stateDirectory,
        pollIntervalMs: 250,
      });
      runners.push(runner);
      runner.start();
      await runner.waitForIdle(60_000);
      const requestsPer1000 = (bulkCalls / records) * 1000;
      const drained = { records, batches: events.length, bulkCalls };

      // CPU of the transform alone, table reads served from a scan held in memory.
      const items: SourceItem[] = [];
      let startKey: Record<string, never> | undefined;
      do {
        const page = await dynamodb.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
        startKey = page.LastEvaluatedKey as typeof startKey;
      } while (startKey);
      const profiles = new Map(items.filter((i) => i.SK === 'PROFILE').map((i) => [i.userId, i]));
      const headers = new Map(
        items.filter((i) => i.entityType === 'Order').map((i) => [i.orderId, i]),
      );
      const lines = new Map<unknown, SourceItem[]>();
      for (const item of items.filter((i) => i.entityType === 'OrderItem')) {
        lines.set(item.orderId, [...(lines.get(item.orderId) ?? []), item]);
      }
      const names = searchIndexNames();
      const transform = () => {
        let bytes = 0;
        for (const event of events) {
          const plan = planSync(event.Records.map((record) => decodeRecord(record)));
          for (const target of plan.users.values())
            if (target.write)
              bytes += serializeOperation({
                index: names.users.write,
                id: target.write.id,
                version: target.write.version,
                source: target.write.source,
              }).length;
          for (const orderId of plan.orders.keys()) {
            const header = headers.get(orderId)!;
            const write = projectOrder({
              header,
              lines: lines.get(orderId) ?? [],
              user: profiles.get(header.userId),
            });
            bytes += serializeOperation({
              index: names.orders.write,
              id: write.id,
              version: write.version,
              source: write.source,
            }).length;
          }
        }
        return bytes;
      };
      transform();
      const cpuStart = process.cpuUsage();
      const rounds = 5;
      for (let round = 0; round < rounds; round++) transform();
      const cpu = process.cpuUsage(cpuStart);
      const cpuPerRecord = (cpu.user + cpu.system) / (rounds * records);

      // Freshness at 200 writes/s: new orders, polled for by id until a search finds them.
      const started = new Map<string, number>();
      const latencies: number[] = [];
      const writes: Promise<unknown>[] = [];
      const total = RATE_PER_SECOND * FRESHNESS_SECONDS;
      const begin = Date.now();
      let polling = true;
      const poller = (async () => {
        while (polling || started.size > 0) {
          const pending = [...started.keys()];
          if (pending.length > 0) {
            const response = await search.search({
              index: names.orders.read,
              body: {
                size: pending.length,
                _source: false,
                query: { ids: { values: pending } },
              } as never,
            });
            const now = Date.now();
            for (const hit of (response.body as unknown as { hits: { hits: { _id: string }[] } })
              .hits.hits) {
              latencies.push(now - started.get(hit._id)!);
              started.delete(hit._id);
            }
          }
          if (Date.now() - begin > (FRESHNESS_SECONDS + 20) * 1000) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      for (let k = 0; k < total; k++) {
        const due = begin + (k * 1000) / RATE_PER_SECOND;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const orderId = `f${k}`;
        const userId = `u${k % SEED_USERS}`;
        started.set(orderId, Date.now());
        writes.push(store.orders.create({ userId, orderId, items: [line(k)] }));
      }
      await Promise.all(writes);
      const achievedRate = total / ((Date.now() - begin) / 1000);
      polling = false;
      await poller;
      const lost = started.size;

      return [
        {
          name: 'search.requests_per_1000_records',
          value: Number(requestsPer1000.toFixed(2)),
          unit: 'requests',
          baseline: { label: 'one request per record (public samples)', value: 1000 },
          note: `${drained.records} records in ${drained.batches} batches, ${drained.bulkCalls} _bulk calls; full batches of 500 would give 2`,
        },
        {
          name: 'search.requests_per_batch',
          value: Number((drained.bulkCalls / drained.batches).toFixed(2)),
          unit: 'requests',
          target: '<= 1',
          baseline: {
            label: 'one request per record',
            value: Number((drained.records / drained.batches).toFixed(1)),
          },
        },
        {
          name: 'search.transform_cpu_us_per_record',
          value: Number(cpuPerRecord.toFixed(2)),
          unit: 'µs',
          note: 'decode, plan, project and serialise; table reads served from memory',
        },
        {
          name: 'search.freshness_p50_ms',
          value: percentile(latencies, 50),
          unit: 'ms',
          note: `${latencies.length} new orders at ${achievedRate.toFixed(0)} writes/s; refresh interval 1 s`,
        },
        {
          name: 'search.freshness_p99_ms',
          value: percentile(latencies, 99),
          unit: 'ms',
          target: '< 1500',
          note:
            lost > 0 ? `${lost} orders never became searchable` : 'every order became searchable',
        },
      ] satisfies Figure[];
    } finally {
      await Promise.all(runners.map((runner) => runner.stop()));
      await search.close();
      await server.stop();
      dynamodb.destroy();
      streams.destroy();
      await dynamodbLocal.stop();
      rmSync(stateDirectory, { recursive: true, force: true });
    }
  },
};
