/**
 * The deleted-marker design against the engine whose behaviour motivated it. OpenSearch
 * keeps a real delete's version only as a tombstone in memory: it prunes the tombstone once
 * `index.gc_deletes` has passed (at a refresh), and a node that restarts with the delete
 * flushed to disk has none. A late, lower-versioned write then brings the document back.
 *
 * Each case first shows that hazard on this engine with a plain external-version DELETE
 * (the control), in the project's own orders index, at the very versions the design uses;
 * then that the marker the real sync consumer wrote from real stream records (DynamoDB
 * Local, the local runner) refuses the same late write, and that the query library leaves
 * it out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { type OpenSearchNode, startOpenSearchNode } from '@pipeline/opensearch-local';
import { createStore } from '@pipeline/store';
import { createMainTable, localStreamsClient, type TestTable } from '@pipeline/testing';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSearchClient,
  createSearchSyncConsumer,
  ensureSearchIndices,
  searchOrders,
  searchUsers,
  sendBulk,
} from '../src/index.js';
import {
  createCustomerWithOrder,
  eventually,
  getDocument,
  recording,
  type SearchFixture,
  startRunner,
  startSearchFixture,
  syncOptions,
} from './support.js';

type StoredDocument = NonNullable<Awaited<ReturnType<typeof getDocument>>>;

/** Where a history is indexed: the run's node under a prefix, or a node of the test's own. */
type SearchTarget = Pick<SearchFixture, 'client' | 'names' | 'prefix'>;

/** An order and its customer, created and then deleted through the store, as the consumer indexed them. */
interface DeletedHistory {
  readonly userId: string;
  readonly orderId: string;
  readonly liveOrder: StoredDocument;
  readonly liveUser: StoredDocument;
  readonly orderMarker: StoredDocument;
  readonly userMarker: StoredDocument;
  /** Every batch the runner handed the consumer, oldest first, for replays. */
  readonly events: DynamoDBStreamEvent[];
}

let streams: DynamoDBStreamsClient;
let gcTable: TestTable;
let restartTable: TestTable;

beforeAll(async () => {
  streams = localStreamsClient();
  [gcTable, restartTable] = await Promise.all([createMainTable(), createMainTable()]);
});

afterAll(() => {
  streams?.destroy();
});

let sequence = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${sequence++}`;

const markerOrUndefined = (doc: StoredDocument | undefined) =>
  doc?.source.deleted === true ? doc : undefined;

/**
 * Runs the local runner on `table`'s stream with the real sync consumer writing to `target`:
 * a customer places an order, both are indexed, then the order and the customer are deleted
 * through the store, and the consumer writes their markers. The runner is stopped once idle.
 */
const createAndDeleteThroughSync = async (
  table: TestTable,
  target: SearchTarget,
): Promise<DeletedHistory> => {
  const store = createStore({ tableName: table.tableName, client: table.client });
  const recorder = recording(createSearchSyncConsumer(syncOptions(table, target)));
  const runner = startRunner(table.streamArn!, streams, recorder.handler);
  try {
    const userId = unique('u');
    const orderId = unique('o');
    const { user } = await createCustomerWithOrder(store, { userId, orderId });
    const orderDoc = () => getDocument(target.client, target.names.orders.read, orderId);
    const userDoc = () => getDocument(target.client, target.names.users.read, userId);
    const liveOrder = await eventually(orderDoc);
    const liveUser = await eventually(userDoc);
    await store.orders.delete({ userId, orderId });
    await store.users.delete(userId, user.rev);
    const orderMarker = await eventually(async () => markerOrUndefined(await orderDoc()));
    const userMarker = await eventually(async () => markerOrUndefined(await userDoc()));
    await runner.waitForIdle();
    return {
      userId,
      orderId,
      liveOrder,
      liveUser,
      orderMarker,
      userMarker,
      events: recorder.events,
    };
  } finally {
    await runner.stop();
  }
};

/** The control's order: a copy of the live order under another id and customer. */
const controlSource = (history: DeletedHistory, id: string) => ({
  ...history.liveOrder.source,
  orderId: id,
  userId: `${history.userId}-control`,
});

/** A late index request of the control at the live order's version; its HTTP status. */
const lateControlWrite = (target: SearchTarget, history: DeletedHistory, id: string) =>
  target.client
    .index({
      index: target.names.orders.write,
      id,
      body: controlSource(history, id),
      version: history.liveOrder.version,
      version_type: 'external',
    })
    .then(
      (response) => response.statusCode ?? undefined,
      (error: { meta?: { statusCode?: number } }) => error.meta?.statusCode,
    );

/**
 * The control's history: indexed at the live order's version, then deleted with a plain
 * external-version DELETE at the marker's version. Returns the status of a late write made
 * while the engine still remembers the delete.
 */
const plainDelete = async (target: SearchTarget, history: DeletedHistory, id: string) => {
  await target.client.index({
    index: target.names.orders.write,
    id,
    body: controlSource(history, id),
    version: history.liveOrder.version,
    version_type: 'external',
  });
  await target.client.delete({
    index: target.names.orders.write,
    id,
    version: history.orderMarker.version,
    version_type: 'external',
  });
  return lateControlWrite(target, history, id);
};

/**
 * What arrives late after the deletes: every recorded batch again, through a fresh consumer
 * (a redelivery: the user's INSERT image projects the live user), and the live order and
 * user at their live versions (a lane that read the table before the deletes).
 */
const replayLateWrites = async (
  table: TestTable,
  target: SearchTarget,
  history: DeletedHistory,
) => {
  const consumer = createSearchSyncConsumer(syncOptions(table, target));
  const replies = [];
  for (const event of history.events) replies.push(await consumer(event));
  const late = await sendBulk(target.client, [
    {
      index: target.names.orders.write,
      id: history.orderId,
      version: history.liveOrder.version,
      source: history.liveOrder.source,
    },
    {
      index: target.names.users.write,
      id: history.userId,
      version: history.liveUser.version,
      source: history.liveUser.source,
    },
  ]);
  await target.client.indices.refresh({ index: `${target.prefix}*` });
  return { replies, late };
};

/** The design's assessment, the same in both cases: every late write arrives and is refused. */
const expectLateWritesRefused = async (
  table: TestTable,
  target: SearchTarget,
  history: DeletedHistory,
) => {
  const outcome = await replayLateWrites(table, target, history);
  const { client, names, prefix } = target;
  expect(outcome.replies.every((reply) => reply.batchItemFailures.length === 0)).toBe(true);
  expect(outcome.late.conflicts).toBe(2);
  expect(outcome.late.failures.size).toBe(0);
  expect(await getDocument(client, names.orders.read, history.orderId)).toEqual(
    history.orderMarker,
  );
  expect(await getDocument(client, names.users.read, history.userId)).toEqual(history.userMarker);
  expect(history.orderMarker.source).toEqual({
    orderId: history.orderId,
    userId: history.userId,
    deleted: true,
    deletedAt: expect.any(String),
    version: history.orderMarker.version,
  });
  expect(history.orderMarker.version).toBeGreaterThan(history.liveOrder.version);
  expect(history.userMarker.version).toBe(history.liveUser.version + 1);
  expect((await searchOrders(client, { userId: history.userId }, { prefix })).total).toBe(0);
  expect((await searchUsers(client, { text: history.userId }, { prefix })).total).toBe(0);
};

describe('deleted markers once index.gc_deletes has passed', () => {
  const gcDeletesMs = 1_000;
  let search: SearchFixture;
  let history: DeletedHistory;
  let earlyControl: number | undefined;
  const control = () => `${history.orderId}-control`;

  beforeAll(async () => {
    search = await startSearchFixture();
    await search.client.indices.putSettings({
      index: `${search.prefix}*`,
      body: { index: { gc_deletes: `${gcDeletesMs}ms` } },
    });
    history = await createAndDeleteThroughSync(gcTable, search);
    earlyControl = await plainDelete(search, history, control());
    // A refresh is when the engine prunes the tombstones older than gc_deletes.
    await new Promise((resolve) => setTimeout(resolve, gcDeletesMs + 1_000));
    await search.client.indices.refresh({ index: `${search.prefix}*` });
  });

  afterAll(async () => {
    await search?.stop();
  });

  it('brings back a plainly deleted order when its older write arrives after gc_deletes, on this engine', async () => {
    // Prepare: beforeAll deleted the control order with a plain DELETE and waited past gc_deletes.
    // Act
    const late = await lateControlWrite(search, history, control());
    await search.client.indices.refresh({ index: search.names.orders.read });
    const found = await searchOrders(
      search.client,
      { userId: `${history.userId}-control` },
      search,
    );
    // Assess: refused while the tombstone lived, accepted as a new document once it was pruned.
    expect(earlyControl).toBe(409);
    expect(late).toBe(201);
    expect(found.hits.map((hit) => hit.orderId)).toEqual([control()]);
  });

  it('keeps an order and a user deleted through sync when their older writes arrive after gc_deletes', async () => {
    // Prepare: beforeAll deleted both through the store and waited past gc_deletes.
    // Act and assess
    await expectLateWritesRefused(gcTable, search, history);
  });
});

describe('deleted markers across a node restart', () => {
  let dataDirectory: string;
  let node: OpenSearchNode;
  let target: SearchTarget;
  let history: DeletedHistory;
  let earlyControl: number | undefined;
  const flushed = () => `${history.orderId}-flushed`;
  const unflushed = () => `${history.orderId}-unflushed`;

  beforeAll(async () => {
    dataDirectory = mkdtempSync(join(tmpdir(), 'delete-markers-node-'));
    node = await startOpenSearchNode({ dataDirectory, heapMiB: 512 });
    const client = createSearchClient({ node: node.url });
    target = { client, names: await ensureSearchIndices(client), prefix: '' };
    history = await createAndDeleteThroughSync(restartTable, target);
    earlyControl = await plainDelete(target, history, flushed());
    // On disk, as a clean stop or the periodic flush of an idle shard leaves it. A delete
    // still only in the translog is replayed at startup with a fresh tombstone.
    await client.indices.flush({ index: '_all' });
    await plainDelete(target, history, unflushed());
    await client.close();
    await node.kill();
    await node.restart();
    target = { ...target, client: createSearchClient({ node: node.url }) };
  }, 240_000); // two JVM starts, slow on a busy 2-core machine

  afterAll(async () => {
    await target?.client.close();
    await node?.stop();
    if (dataDirectory) rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('brings back a plainly deleted order when its older write arrives after a restart, on this engine', async () => {
    // Prepare: beforeAll deleted two control orders with a plain DELETE, one flushed to disk
    // and one only in the translog, then killed and restarted the node.
    // Act
    const late = await lateControlWrite(target, history, flushed());
    const lateFromTranslog = await lateControlWrite(target, history, unflushed());
    await target.client.indices.refresh({ index: target.names.orders.read });
    const found = await searchOrders(target.client, { userId: `${history.userId}-control` });
    // Assess: the restarted node forgot the flushed delete; the replayed one it still knows.
    expect(earlyControl).toBe(409);
    expect(late).toBe(201);
    expect(lateFromTranslog).toBe(409);
    expect(found.hits.map((hit) => hit.orderId)).toEqual([flushed()]);
  });

  it('keeps an order and a user deleted through sync when their older writes arrive after a restart', async () => {
    // Prepare: beforeAll deleted both through the store, flushed, killed and restarted the node.
    // Act and assess
    await expectLateWritesRefused(restartTable, target, history);
  });
});
