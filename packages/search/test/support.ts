import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Client } from '@opensearch-project/opensearch';
import { consumerNamed } from '@pipeline/consumers';
import { LocalRunner } from '@pipeline/local';
import { createStore, type Store } from '@pipeline/store';
import { createMainTable, type TestTable } from '@pipeline/testing';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { inject } from 'vitest';
import {
  createSearchClient,
  ensureSearchIndices,
  removeSearchIndices,
  type SearchIndexNames,
  type SearchSyncOptions,
} from '../src/index.js';

/** The run's OpenSearch node, with a client and index names under a prefix of the file's own. */
export interface SearchFixture {
  readonly client: Client;
  readonly names: SearchIndexNames;
  readonly prefix: string;
  /**
   * Makes the node forget the versions of deleted documents now, as it does once
   * `index.gc_deletes` (60 s) has passed or the node restarts: gc_deletes is set to 0 on
   * the fixture's indices and a refresh prunes the delete tombstones.
   */
  expireDeleteTombstones(): Promise<void>;
  stop(): Promise<void>;
}

/** Connects to the run's OpenSearch and sets up the templates, indices and aliases under a fresh prefix. */
export const startSearchFixture = async (): Promise<SearchFixture> => {
  const client = createSearchClient({ node: inject('opensearchUrl') });
  const prefix = `t${randomUUID().slice(0, 8)}-`;
  const names = await ensureSearchIndices(client, { prefix });
  const indices = `${prefix}*`;
  return {
    client,
    names,
    prefix,
    expireDeleteTombstones: async () => {
      await client.indices.putSettings({ index: indices, body: { index: { gc_deletes: '0s' } } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      await client.indices.refresh({ index: indices });
      await client.indices.putSettings({ index: indices, body: { index: { gc_deletes: '60s' } } });
    },
    stop: async () => {
      await removeSearchIndices(client, { prefix });
      await client.close();
    },
  };
};

/** A fresh table with its store, a search fixture, and the sync consumer's options over both. */
export interface SyncFixture {
  readonly table: TestTable;
  readonly search: SearchFixture;
  readonly store: Store;
  readonly options: SearchSyncOptions;
}

/** The sync consumer's options that index `table`'s changes into `target`'s indices. */
export const syncOptions = (
  table: TestTable,
  target: Pick<SearchFixture, 'client' | 'prefix'>,
): SearchSyncOptions => ({
  client: target.client,
  dynamodb: table.client,
  tableName: table.tableName,
  prefix: target.prefix,
});

/** Creates a table and a search fixture, and the options that sync the one into the other. */
export const startSyncFixture = async (): Promise<SyncFixture> => {
  const [table, search] = await Promise.all([createMainTable(), startSearchFixture()]);
  const store = createStore({ tableName: table.tableName, client: table.client });
  return { table, search, store, options: syncOptions(table, search) };
};

/**
 * A customer (email `<userId>@example.com`) created through the store, who then places one
 * order of `items` (a Blue Teapot unless told).
 */
export const createCustomerWithOrder = async (
  store: Store,
  {
    userId,
    orderId,
    name = 'Ada',
    items = [
      {
        productId: 'p-teapot',
        name: 'Blue Teapot',
        quantity: 1,
        unitPrice: { amount: 12_50, currency: 'EUR' },
      },
    ],
  }: {
    userId: string;
    orderId: string;
    name?: string;
    items?: Parameters<Store['orders']['create']>[0]['items'];
  },
) => {
  const user = await store.users.create({ userId, email: `${userId}@example.com`, name });
  const { order } = await store.orders.create({ userId, orderId, items });
  return { user, order };
};

/** A handler wrapped so that every event it was handed is kept for replays. */
export const recording = (
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>,
) => {
  const events: DynamoDBStreamEvent[] = [];
  return {
    events,
    handler: async (event: DynamoDBStreamEvent) => {
      events.push(event);
      return handler(event);
    },
  };
};

/** Starts the local event source mapping with the sync-search definition. */
export const startRunner = (
  streamArn: string,
  streams: DynamoDBStreamsClient,
  handler: (event: DynamoDBStreamEvent) => Promise<unknown>,
): LocalRunner => {
  const runner = new LocalRunner({
    streamArn,
    client: streams,
    consumers: [{ definition: consumerNamed('sync-search'), handler }],
    stateDirectory: mkdtempSync(join(tmpdir(), 'search-runner-')),
    pollIntervalMs: 50,
    retryDelayMs: () => 10,
  });
  runner.start();
  return runner;
};

/** Polls until `check` returns a value other than `undefined`, or fails after the deadline. */
export const eventually = async <T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** A document by id through an alias (realtime GET), or `undefined` when absent. */
export const getDocument = async (
  client: Client,
  index: string,
  id: string,
): Promise<{ version: number; source: Record<string, unknown> } | undefined> => {
  try {
    const response = await client.get({ index, id });
    const body = response.body as { _version: number; _source: Record<string, unknown> };
    return { version: body._version, source: body._source };
  } catch (error) {
    if ((error as { meta?: { statusCode?: number } }).meta?.statusCode === 404) return undefined;
    throw error;
  }
};
