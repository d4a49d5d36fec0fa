import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall, NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
// The lead exports it from @pipeline/local; until then the test reaches the module itself.
import { type ArchiveServer, startArchiveServer } from '@pipeline/local';
import { insertRecord, removeRecord, streamEvent, ttlRemoveRecord } from '@pipeline/testing';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecords } from '../src/codec.js';
import { createArchiveConsumer } from '../src/consumer.js';
import { ArchiveConflictError } from '../src/errors.js';
import { jsonToImage } from '../src/json.js';
import { planObjects } from '../src/layout.js';
import { createS3ObjectStore } from '../src/object-store.js';
import { readArchive } from '../src/reader.js';
import { writeArchiveObject } from '../src/writer.js';
import { epochSeconds, productViewItem, sessionItem } from './support.js';

const BUCKET = 'archive-int';
const TABLE = 'main-archive-test';
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}/stream/2026-11-20T00:00:00.000`;
const DAY = '2026-11-20';
const removedAt = epochSeconds(`${DAY}T10:00:00.000Z`);
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let server: ArchiveServer;
let s3: S3Client;

const local = {
  forcePathStyle: true,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** The consumer's object store over `endpoint`, with one attempt per call so faults show. */
const objectStore = (endpoint: string, fetchImpl?: typeof fetch) =>
  createS3ObjectStore({ ...local, endpoint, retry: { maxAttempts: 1 }, fetch: fetchImpl });

beforeAll(async () => {
  server = await startArchiveServer({ buckets: [BUCKET] });
  s3 = new S3Client({ ...local, endpoint: server.endpoint, maxAttempts: 1 });
});
afterAll(async () => {
  s3.destroy();
  await server.stop();
});

/** A fresh archive prefix per test, so tests never see each other's objects. */
const setup = (objects = objectStore(server.endpoint)) => {
  const prefix = `archive-${randomUUID()}`;
  return {
    prefix,
    handler: createArchiveConsumer({ objects, bucket: BUCKET, prefix, logger: silent }),
    read: (entityType: string, from = DAY, to = DAY) =>
      readArchive({ s3, bucket: BUCKET, prefix, entityType, from, to }),
    objectKeys: async () =>
      (
        await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${prefix}/` }))
      ).Contents?.map((object) => object.Key!) ?? [],
  };
};

const expired = (item: Record<string, unknown>, at = removedAt): DynamoDBRecord =>
  ttlRemoveRecord(item, { approximateCreationDateTime: at, eventSourceARN: STREAM_ARN });

/** What Lambda redelivers after a reported failure: the failed record and all after it. */
const redeliveryFrom = (records: readonly DynamoDBRecord[], itemIdentifier: string) =>
  records.filter((record) => BigInt(record.dynamodb!.SequenceNumber!) >= BigInt(itemIdentifier));

describe('the archive-expired consumer', () => {
  it('archives expired sessions and product views with their exact images', async () => {
    const { handler, read, objectKeys } = setup();
    const session = sessionItem('s1', {
      lifetimeViews: BigInt('12345678901234567890123'),
      ratio: NumberValue.from('0.30000000000000000001'),
      tags: new Set(['a', 'b']),
    });
    const views = [productViewItem('p1', 'v1'), productViewItem('p1', 'v2', { userId: 'u9' })];
    const records = [expired(session), ...views.map((view) => expired(view))];

    const response = await handler(streamEvent(...records));
    const sessions = await read('Session');
    const productViews = await read('ProductView');

    expect(response.batchItemFailures).toEqual([]);
    expect(sessions.records).toHaveLength(1);
    const [archived] = sessions.records;
    expect(jsonToImage(archived!.image)).toEqual(marshall(session));
    expect(archived!.image.lifetimeViews).toEqual({ $number: '12345678901234567890123' });
    expect(archived).toMatchObject({
      eventID: records[0]!.eventID,
      sequenceNumber: records[0]!.dynamodb!.SequenceNumber,
      tableName: TABLE,
      entityType: 'Session',
      keys: { PK: 'SESSION#s1', SK: 'METADATA' },
      expiresAt: new Date(1_790_000_000_000).toISOString(),
      removedAt: `${DAY}T10:00:00.000Z`,
    });
    expect(productViews.records.map((record) => jsonToImage(record.image))).toEqual(
      views.map((view) => marshall(view)),
    );
    expect(await objectKeys()).toHaveLength(2);
  });

  it('never archives a delete by a user or a service, nor a replicated TTL delete', async () => {
    const { handler, objectKeys } = setup();
    const records = [
      removeRecord(sessionItem('by-user'), { eventSourceARN: STREAM_ARN }),
      removeRecord(sessionItem('by-service'), {
        eventSourceARN: STREAM_ARN,
        userIdentity: { type: 'Service', principalId: 'backup.amazonaws.com' },
      }),
      // A TTL delete replicated from another Region arrives without any identity.
      removeRecord(productViewItem('p1', 'replicated'), { eventSourceARN: STREAM_ARN }),
      insertRecord(sessionItem('new'), { eventSourceARN: STREAM_ARN }),
    ];

    const response = await handler(streamEvent(...records));

    expect(response.batchItemFailures).toEqual([]);
    expect(await objectKeys()).toEqual([]);
  });

  it('leaves no duplicate after dedupe when a batch is delivered again after its write succeeded', async () => {
    const { handler, read, objectKeys } = setup();
    const records = Array.from({ length: 10 }, (_, index) => expired(sessionItem(`s${index}`)));

    const first = await handler(streamEvent(...records));
    const again = await handler(streamEvent(...records));
    const keysAfterRetry = await objectKeys();
    // A bisected retry groups fewer records, so it writes a second object.
    const half = await handler(streamEvent(...records.slice(5)));
    const archive = await read('Session');

    expect([first, again, half].map((response) => response.batchItemFailures)).toEqual([
      [],
      [],
      [],
    ]);
    expect(keysAfterRetry).toHaveLength(1);
    expect(await objectKeys()).toHaveLength(2);
    expect(archive.records.map((record) => record.eventID).sort()).toEqual(
      records.map((record) => record.eventID!).sort(),
    );
    expect(archive.duplicates).toBe(5);
  });

  it('loses nothing when S3 fails a write: the records are reported and archived on redelivery', async () => {
    let puts = 0;
    // Fault injection only: the real server cannot fail on demand.
    const flaky = objectStore(server.endpoint, (url, init) =>
      init?.method === 'PUT' && puts++ === 0
        ? Promise.reject(new TypeError('injected: connection reset'))
        : fetch(url, init),
    );
    const { handler, read } = setup(flaky);
    const records = [
      expired(sessionItem('a'), epochSeconds('2026-11-19T23:00:00.000Z')),
      expired(productViewItem('p1', 'v1')),
      expired(sessionItem('b')),
      expired(sessionItem('c'), epochSeconds('2026-11-19T22:00:00.000Z')),
      expired(productViewItem('p2', 'v2')),
    ];

    const first = await handler(streamEvent(...records));
    const [failure] = first.batchItemFailures;
    const retry = await handler(streamEvent(...redeliveryFrom(records, failure!.itemIdentifier)));
    const sessions = await read('Session', '2026-11-19', DAY);
    const views = await read('ProductView', '2026-11-19', DAY);

    expect(first.batchItemFailures).toHaveLength(1);
    expect(retry.batchItemFailures).toEqual([]);
    expect([...sessions.records, ...views.records].map((record) => record.eventID).sort()).toEqual(
      records.map((record) => record.eventID!).sort(),
    );
  });

  it('reports the batch for retry from its first record when S3 is unreachable', async () => {
    const { handler: failing } = setup(objectStore('http://127.0.0.1:9'));
    const records = [expired(sessionItem('x')), expired(sessionItem('y'))];

    const response = await failing(streamEvent(...records));

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[0]!.dynamodb!.SequenceNumber },
    ]);
  });

  it('refuses to count as written an existing object under its key that lacks its records', async () => {
    const { prefix } = setup();
    const record = {
      eventID: 'e1',
      sequenceNumber: '100',
      tableName: TABLE,
      entityType: 'Session',
      keys: { PK: 'SESSION#s1', SK: 'METADATA' },
      expiresAt: null,
      removedAt: `${DAY}T10:00:00.000Z`,
      image: { PK: 'SESSION#s1', SK: 'METADATA' },
    };
    const [object] = planObjects([record], prefix);
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: object!.key,
        Body: encodeRecords([{ ...record, eventID: 'someone-else' }]),
      }),
    );

    await expect(
      writeArchiveObject(objectStore(server.endpoint), BUCKET, object!),
    ).rejects.toBeInstanceOf(ArchiveConflictError);
  });
});

describe('the object store against the local archive', () => {
  it('stores an object once and reads it back', async () => {
    const objects = objectStore(server.endpoint);
    const key = `objects-${randomUUID()}/one.jsonl.gz`;
    const body = new TextEncoder().encode('{"eventID":"e1"}\n');

    const first = await objects.putIfAbsent(BUCKET, key, body, 'application/x-ndjson');
    const second = await objects.putIfAbsent(BUCKET, key, new Uint8Array([1]), 'text/plain');

    expect([first, second]).toEqual([true, false]);
    expect(await objects.get(BUCKET, key)).toEqual(body);
  });

  it('is refused with BadDigest when the body arrives corrupted, and writes nothing', async () => {
    // Fault injection only: flips a byte after the checksum was taken.
    const corrupting = objectStore(server.endpoint, (url, init) =>
      fetch(url, { ...init, body: new Uint8Array(init?.body as Uint8Array).reverse() }),
    );
    const key = `objects-${randomUUID()}/corrupt.jsonl.gz`;

    const failure = await corrupting
      .putIfAbsent(BUCKET, key, new TextEncoder().encode('abc'), 'text/plain')
      .catch((error: unknown) => error);

    expect(failure).toMatchObject({ status: 400, s3Code: 'BadDigest' });
    await expect(objectStore(server.endpoint).get(BUCKET, key)).rejects.toMatchObject({
      status: 404,
      s3Code: 'NoSuchKey',
    });
  });
});
