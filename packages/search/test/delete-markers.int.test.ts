/**
 * The deleted-marker design against the engine whose behaviour motivated it: OpenSearch
 * forgets a real delete's version when a node restarts (and after `index.gc_deletes`, which
 * sync.int.test.ts and the contract suite cover), and a late lower-versioned write then brings
 * the document back. A marker is a document, so its version survives both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@opensearch-project/opensearch';
import { type OpenSearchNode, startOpenSearchNode } from '@pipeline/opensearch-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSearchClient,
  ensureSearchIndices,
  orderMarker,
  projectOrder,
  type SearchIndexNames,
  searchOrders,
  sendBulk,
} from '../src/index.js';
import { getDocument } from './support.js';

const createdAt = '2026-11-30T10:00:00.000Z';
const header = {
  orderId: 'o-restart',
  userId: 'u-restart',
  status: 'paid',
  createdAt,
  updatedAt: createdAt,
  total: { amount: 1_250, currency: 'EUR' },
  rev: 1_796_000_000_000_000,
};
const user = { userId: 'u-restart', name: 'Ada Lovelace', email: 'ada@example.com', rev: 5 };
const live = projectOrder({
  header,
  lines: [{ productId: 'p1', name: 'Blue Teapot', rev: header.rev }],
  user,
});
const marker = orderMarker(
  {
    orderId: header.orderId,
    userId: header.userId,
    rev: header.rev + 1,
    createdAt,
    deletedAt: createdAt,
  },
  user,
  undefined,
);
const control = 'control-plain-deletes';

let dataDirectory: string;
let node: OpenSearchNode;
let client: Client;
let names: SearchIndexNames;

const write = (version: number, source: unknown) =>
  sendBulk(client, [{ index: names.orders.write, id: header.orderId, version, source }]);

beforeAll(async () => {
  dataDirectory = mkdtempSync(join(tmpdir(), 'opensearch-restart-'));
  node = await startOpenSearchNode({ dataDirectory });
  client = createSearchClient({ node: node.url });
  names = await ensureSearchIndices(client);
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
  rmSync(dataDirectory, { recursive: true, force: true });
});

describe('deleted markers across a node restart', () => {
  it('keeps a deleted order deleted when its older write arrives after a restart, where a plain delete is forgotten', async () => {
    // Prepare: the order is indexed, then deleted by the project's marker; beside it, the
    // same history with a plain external-version delete.
    expect((await write(live.version, live.source)).failures.size).toBe(0);
    expect((await write(marker.version, marker.source)).failures.size).toBe(0);
    await client.indices.create({ index: control, body: { settings: { number_of_replicas: 0 } } });
    await client.index({
      index: control,
      id: '1',
      body: { v: 2 },
      version: 2,
      version_type: 'external',
    });
    await client.delete({ index: control, id: '1', version: 3, version_type: 'external' });
    const beforeRestart = await client
      .index({ index: control, id: '1', body: { v: 1 }, version: 1, version_type: 'external' })
      .catch((error: { meta?: { statusCode?: number } }) => error.meta?.statusCode);
    // Act: the node restarts; then the late writes arrive.
    await client.close();
    await node.stop();
    node = await startOpenSearchNode({ dataDirectory });
    client = createSearchClient({ node: node.url });
    const late = await write(live.version, live.source);
    const plain = await client.index({
      index: control,
      id: '1',
      body: { v: 1 },
      version: 1,
      version_type: 'external',
    });
    await client.indices.refresh({ index: names.orders.read });
    const found = await searchOrders(client, { userId: header.userId });
    // Assess: the engine forgot the plain delete, so its late write came back...
    expect(beforeRestart).toBe(409);
    expect(plain.statusCode).toBe(201);
    // ...while the marker's version refused the order's.
    expect(late.conflicts).toBe(1);
    expect(late.failures.size).toBe(0);
    expect(await getDocument(client, names.orders.read, header.orderId)).toEqual({
      version: marker.version,
      source: marker.source,
    });
    expect(found.total).toBe(0);
  }, 120_000); // two JVM starts, slower on a busy machine
});
