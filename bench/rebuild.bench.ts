/**
 * Backfill and rebuild throughput: how fast the search backfill (parallel Scan into a
 * fresh index, then an alias switch) and the aggregates rebuild (parallel Scan into a
 * fresh generation of counters, then a pointer switch) get through a table, measured in
 * the same run on the same table in DynamoDB Local.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { aggregates, rebuild } from '@pipeline/aggregates';
import { ensureTable, localAwsClientConfig, startDynamoDbLocal } from '@pipeline/local';
import { aggregatesTable, mainTable } from '@pipeline/model';
import { startOpenSearchNode } from '@pipeline/opensearch-local';
import { backfill, createSearchClient, ensureSearchIndices } from '@pipeline/search';
import { createStore } from '@pipeline/store';
import type { Benchmark, Figure } from './figure.js';

const USERS = 400;
const ORDERS_PER_USER = 5;
const SEGMENTS = 4;

const seconds = async (work: () => Promise<unknown>): Promise<number> => {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
};

/** Backfill and rebuild throughput over the same table. */
export const benchmark: Benchmark = {
  title: 'Backfill and rebuild throughput',
  async run(): Promise<Figure[]> {
    const dynamodbLocal = await startDynamoDbLocal();
    const search = await startOpenSearchNode();
    const scratch = mkdtempSync(join(tmpdir(), 'rebuild-bench-'));
    const client = new DynamoDBClient(localAwsClientConfig(dynamodbLocal.endpoint));
    const searchClient = createSearchClient({ node: search.url });
    try {
      await ensureTable(client, mainTable, 'bench-main');
      await ensureTable(client, aggregatesTable, 'bench-aggregates');
      await ensureSearchIndices(searchClient);
      const store = createStore({ tableName: 'bench-main', client });
      for (let start = 0; start < USERS; start += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, USERS - start) }, async (_, offset) => {
            const n = start + offset;
            await store.users.create({
              userId: `u${n}`,
              email: `user${n}@example.com`,
              name: `User ${n}`,
            });
            for (let order = 0; order < ORDERS_PER_USER; order++) {
              await store.orders.create({
                userId: `u${n}`,
                orderId: `o${n}-${order}`,
                items: [
                  {
                    productId: `p${(n + order) % 97}`,
                    name: `Product ${(n + order) % 97}`,
                    quantity: 1,
                    unitPrice: { amount: 1999, currency: 'EUR' },
                  },
                  {
                    productId: `p${(n + order + 1 + (n % 50)) % 97}`,
                    name: `Product ${(n * 7 + order) % 97}`,
                    quantity: 2,
                    unitPrice: { amount: 250, currency: 'EUR' },
                  },
                ],
              });
            }
          }),
        );
      }

      let scannedByBackfill = 0;
      const backfillSeconds = await seconds(async () => {
        const result = await backfill({
          dynamodb: client,
          tableName: 'bench-main',
          search: searchClient,
          segments: SEGMENTS,
          resumeFile: join(scratch, 'backfill.json'),
        });
        scannedByBackfill = result.scanned;
      });
      let scannedByRebuild = 0;
      const rebuildSeconds = await seconds(async () => {
        const result = await rebuild({
          tableName: 'bench-main',
          aggregatesTableName: 'bench-aggregates',
          declarations: aggregates,
          client,
          segments: SEGMENTS,
        });
        scannedByRebuild = result.scanned;
      });
      const note = `${scannedByBackfill} table items (${USERS} users, ${USERS * ORDERS_PER_USER} orders with 2 lines and a ref each), ${SEGMENTS} Scan segments, DynamoDB Local and the local OpenSearch node`;
      return [
        {
          name: 'backfill.items_per_s',
          value: Math.round(scannedByBackfill / backfillSeconds),
          unit: 'items/s',
          note,
        },
        {
          name: 'rebuild.items_per_s',
          value: Math.round(scannedByRebuild / rebuildSeconds),
          unit: 'items/s',
          note,
        },
      ];
    } finally {
      await searchClient.close();
      client.destroy();
      await search.stop();
      await dynamodbLocal.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
