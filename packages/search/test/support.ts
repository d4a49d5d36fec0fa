import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { Client } from '@opensearch-project/opensearch';
import { LocalRunner } from '@pipeline/local';
import { consumerNamed } from '@pipeline/pipeline';
import { type SearchServer, startSearchServer } from '@pipeline/search-server';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createSearchClient, ensureSearchIndices, type SearchIndexNames } from '../src/index.js';

/** A local search server with a clock the test moves, and a client with its own prefix. */
export interface SearchFixture {
  readonly server: SearchServer;
  readonly client: Client;
  readonly names: SearchIndexNames;
  readonly prefix: string;
  /** Moves the server's clock forward. */
  advance(ms: number): void;
  stop(): Promise<void>;
}

/** Starts a search server (gc_deletes 60 s, a movable clock) and sets up prefixed indices. */
export const startSearchFixture = async (): Promise<SearchFixture> => {
  let offset = 0;
  const server = await startSearchServer({ gcDeletesMs: 60_000, now: () => Date.now() + offset });
  const client = createSearchClient({ node: server.url });
  const prefix = `t${randomUUID().slice(0, 8)}-`;
  const names = await ensureSearchIndices(client, { prefix });
  return {
    server,
    client,
    names,
    prefix,
    advance: (ms) => {
      offset += ms;
    },
    stop: async () => {
      await client.close();
      await server.stop();
    },
  };
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
