import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
// The lead exports it from @pipeline/local; until then the test reaches the module itself.
import { type ArchiveServer, startArchiveServer } from '@pipeline/local';
import { createMainTable, streamEvent, type TestTable, ttlRemoveRecord } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchiveConsumer } from '../src/consumer.js';
import { type ArchiveObjectStore, createS3ObjectStore } from '../src/object-store.js';
import { readArchive } from '../src/reader.js';
import { restoreRecords } from '../src/restore.js';
import { epochSeconds, productViewItem, sessionItem } from './support.js';

const BUCKET = 'restore-int';
const DAY = '2026-11-20';
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let server: ArchiveServer;
let s3: S3Client;
let objects: ArchiveObjectStore;
let table: TestTable;

beforeAll(async () => {
  [server, table] = await Promise.all([
    startArchiveServer({ buckets: [BUCKET] }),
    createMainTable(),
  ]);
  const local = {
    endpoint: server.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  s3 = new S3Client(local);
  objects = createS3ObjectStore(local);
});
afterAll(async () => {
  s3.destroy();
  await server.stop();
});

/** Archives the items as TTL expiries of the test table, then reads the archive back. */
const archiveAndRead = async (items: Record<string, unknown>[]) => {
  const prefix = `archive-${randomUUID()}`;
  const handler = createArchiveConsumer({ objects, bucket: BUCKET, prefix, logger: silent });
  const response = await handler(
    streamEvent(
      ...items.map((item) =>
        ttlRemoveRecord(item, {
          approximateCreationDateTime: epochSeconds(`${DAY}T08:00:00.000Z`),
          eventSourceARN: `arn:aws:dynamodb:us-east-1:000000000000:table/${table.tableName}/stream/x`,
        }),
      ),
    ),
  );
  expect(response.batchItemFailures).toEqual([]);
  const read = (entityType: string) =>
    readArchive({ s3, bucket: BUCKET, prefix, entityType, from: DAY, to: DAY });
  return { read };
};

const getItem = async (PK: string, SK: string) => {
  const got = await table.client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: marshall({ PK, SK }),
      ConsistentRead: true,
    }),
  );
  return got.Item ? unmarshall(got.Item, { wrapNumbers: true }) : undefined;
};

describe('restoring archived items', () => {
  it('brings expired items back with a fresh rev and a ttl a day ahead, numbers exact', async () => {
    const session = sessionItem(`s-${randomUUID()}`, {
      lifetimeViews: BigInt('12345678901234567890123'),
    });
    const view = productViewItem(`p-${randomUUID()}`, 'v1');
    const { read } = await archiveAndRead([session, view]);
    const sessions = (await read('Session')).records;
    const views = (await read('ProductView')).records;
    const now = new Date();

    const result = await restoreRecords([...sessions, ...views], {
      dynamodb: table.client,
      tableName: table.tableName,
      now: () => now,
    });
    const restored = await getItem(session.PK as string, session.SK as string);
    const restoredView = await getItem(view.PK as string, view.SK as string);

    expect(result).toMatchObject({ candidates: 2, restored: 2, skippedNewer: 0, failed: [] });
    expect(restored?.lifetimeViews.toString()).toBe('12345678901234567890123');
    expect(restored?.sessionId.toString()).toBe(session.sessionId);
    expect(Number(restored?.ttl.toString())).toBe(Math.floor(now.getTime() / 1000) + 86_400);
    expect(Number(restored?.rev.toString())).toBe(now.getTime() * 1000);
    expect(Number(restored?.rev.toString())).toBeGreaterThan(session.rev as number);
    expect(restored?.updatedAt).toBe(now.toISOString());
    expect(restored?.createdAt).toBe(session.createdAt);
    expect(restoredView?.viewId).toBe('v1');
  });

  it('refuses to overwrite an item that is newer than the archived one', async () => {
    const kept = sessionItem(`s-${randomUUID()}`);
    const replaced = sessionItem(`s-${randomUUID()}`);
    const { read } = await archiveAndRead([kept, replaced]);
    const newer = { ...kept, userId: 'someone-new', rev: (kept.rev as number) + 5 };
    await table.client.send(
      new PutItemCommand({ TableName: table.tableName, Item: marshall(newer) }),
    );

    const result = await restoreRecords((await read('Session')).records, {
      dynamodb: table.client,
      tableName: table.tableName,
      ttlSeconds: 3600,
    });
    const second = await restoreRecords((await read('Session')).records, {
      dynamodb: table.client,
      tableName: table.tableName,
    });

    expect(result).toMatchObject({ candidates: 2, restored: 1, skippedNewer: 1 });
    expect((await getItem(kept.PK as string, kept.SK as string))?.userId).toBe('someone-new');
    expect((await getItem(replaced.PK as string, replaced.SK as string))?.userId).toBe('u1');
    // The first restore wrote a fresh, higher rev, so restoring again changes nothing.
    expect(second).toMatchObject({ restored: 0, skippedNewer: 2 });
  });

  it('writes nothing in a dry run', async () => {
    const session = sessionItem(`s-${randomUUID()}`);
    const { read } = await archiveAndRead([session]);

    const result = await restoreRecords((await read('Session')).records, {
      dynamodb: table.client,
      tableName: table.tableName,
      dryRun: true,
    });

    expect(result).toMatchObject({ candidates: 1, restored: 0 });
    expect(await getItem(session.PK as string, session.SK as string)).toBeUndefined();
  });
});
