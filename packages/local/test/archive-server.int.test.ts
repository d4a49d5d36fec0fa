import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveServer, startArchiveServer } from '../src/archive-server.js';

const clientFor = (endpoint: string) =>
  new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

const failureOf = async (promise: Promise<unknown>): Promise<S3ServiceException> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
};

/** An unsigned request with the path exactly as given, percent-escapes and all. */
const rawRequest = (
  endpoint: string,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(endpoint);
    const sent = httpRequest({ host: hostname, port, method, path }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    sent.once('error', reject);
    sent.end(body);
  });

/** The text of one element of an S3 error XML. */
const xmlField = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

describe.each([
  ['in memory', false],
  ['backed by a directory', true],
])('the local archive server %s', (_label, onDisk) => {
  let server: ArchiveServer;
  let s3: S3Client;
  let directory: string | undefined;
  const Bucket = 'archive-test';

  beforeAll(async () => {
    directory = onDisk ? await mkdtemp(join(tmpdir(), 'archive-server-')) : undefined;
    server = await startArchiveServer({ directory });
    s3 = clientFor(server.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket }));
  });
  afterAll(async () => {
    s3.destroy();
    await server.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('stores an object and returns the same bytes with its size', async () => {
    const body = Buffer.from([0x1f, 0x8b, 0, 1, 2, 255]);

    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'a/b/c.bin', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'a/b/c.bin' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'a/b/c.bin' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'a/b/' }));

    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(head.ContentLength).toBe(body.length);
    expect(head.ETag).toBe(put.ETag);
    expect(listed.Contents?.map((object) => object.ETag)).toEqual([put.ETag]);
    if (directory) expect(await readFile(join(directory, Bucket, 'a/b/c.bin'))).toEqual(body);
  });

  it('stores a streamed body the SDK sends aws-chunked with a checksum trailer', async () => {
    const parts = [Buffer.alloc(70_000, 1), Buffer.from('tail')];

    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'streamed.bin',
        Body: Readable.from(parts),
        ContentLength: 70_004,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'streamed.bin' }));

    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(Buffer.concat(parts));
  });

  it('refuses a conditional put on an existing key with 412 and keeps the first object', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'once.txt', Body: 'first', IfNoneMatch: '*' }),
    );

    const failure = await failureOf(
      s3.send(new PutObjectCommand({ Bucket, Key: 'once.txt', Body: 'second', IfNoneMatch: '*' })),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'once.txt' }));

    expect(failure.name).toBe('PreconditionFailed');
    expect(failure.$metadata.httpStatusCode).toBe(412);
    expect(await got.Body!.transformToString()).toBe('first');
  });

  it('lets exactly one of many concurrent conditional puts win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) =>
        s3.send(
          new PutObjectCommand({ Bucket, Key: 'race.txt', Body: `w${index}`, IfNoneMatch: '*' }),
        ),
      ),
    );

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('answers NoSuchKey for GetObject and NotFound for HeadObject on a missing key', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'missing' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key: 'missing' }))).rejects.toBeInstanceOf(
      NotFound,
    );
  });

  it('answers NoSuchBucket for a bucket that was never created', async () => {
    const failure = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })),
    );

    expect(failure.name).toBe('NoSuchBucket');
  });

  it('deletes an object', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'gone.txt', Body: 'x' }));

    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'gone.txt' }));

    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'gone.txt' }))).rejects.toBeInstanceOf(
      NoSuchKey,
    );
  });

  it('lists by prefix in key order across pages of max-keys with a continuation token', async () => {
    const keys = Array.from({ length: 7 }, (_, index) => `list/dt=2026-01-0${index + 1}/part.gz`);
    await Promise.all(
      [...keys].reverse().map((Key) => s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }))),
    );
    await s3.send(new PutObjectCommand({ Bucket, Key: 'listing-other', Body: 'x' }));

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 3, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((object) => object.Key!));
      expect(page.Contents?.every((object) => object.Size === object.Key!.length)).toBe(true);
      token = page.NextContinuationToken;
      pages++;
    } while (token);

    expect(seen).toEqual(keys);
    expect(pages).toBe(3);
  });

  it('groups keys under common prefixes with a delimiter', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'tree/x=1/a', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'tree/x=1/b', Body: 'b' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'tree/x=2/a', Body: 'c' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'tree/top', Body: 'd' }));

    const page = await s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'tree/', Delimiter: '/' }),
    );

    expect(page.CommonPrefixes?.map((common) => common.Prefix)).toEqual(['tree/x=1/', 'tree/x=2/']);
    expect(page.Contents?.map((object) => object.Key)).toEqual(['tree/top']);
    expect(page.KeyCount).toBe(3);
  });

  it('answers a key over 1,024 bytes of UTF-8 with 400 KeyTooLongError, as S3 does, for every call', async () => {
    const long = 'k'.repeat(2000);
    const multiByte = 'é'.repeat(513);

    const answers = await Promise.all([
      rawRequest(server.endpoint, 'PUT', `/${Bucket}/${long}`, 'x'),
      rawRequest(server.endpoint, 'GET', `/${Bucket}/${long}`),
      rawRequest(server.endpoint, 'DELETE', `/${Bucket}/${long}`),
      rawRequest(server.endpoint, 'PUT', `/${Bucket}/${encodeURIComponent(multiByte)}`, 'x'),
    ]);

    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(xmlField(answer.body, 'Code')).toBe('KeyTooLongError');
      expect(xmlField(answer.body, 'MaxSizeAllowed')).toBe('1024');
      if (directory) expect(answer.body).not.toContain(directory);
    }
    expect(answers.map((answer) => xmlField(answer.body, 'Size'))).toEqual([
      '2000',
      '2000',
      '2000',
      '1026',
    ]);
  });

  it('holds a key of exactly 1,024 bytes', async () => {
    const Key = [...['a', 'b', 'c', 'd'].map((letter) => letter.repeat(200)), 'e'.repeat(220)].join(
      '/',
    );

    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'edge' }));
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));

    expect(Buffer.byteLength(Key)).toBe(1024);
    expect(await got.Body!.transformToString()).toBe('edge');
  });

  it('reads the path as sent: a doubled slash or a dot segment is never resolved away', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'dots/target', Body: 'x' }));

    const doubled = await rawRequest(server.endpoint, 'GET', `//${Bucket}/dots/target`);
    const dotted = await rawRequest(server.endpoint, 'GET', `/${Bucket}/dots/up/../target`);
    const escaped = await rawRequest(server.endpoint, 'GET', `/${Bucket}/dots/up/%2e%2e/target`);

    expect(doubled.status).toBe(501);
    for (const answer of [dotted, escaped]) {
      expect(answer.status).toBe(400);
      expect(xmlField(answer.body, 'Code')).toBe('InvalidArgument');
    }
  });

  it('answers a key whose escapes are not UTF-8 with 400 InvalidURI', async () => {
    const answer = await rawRequest(server.endpoint, 'GET', `/${Bucket}/bad%FFkey`);

    expect(answer.status).toBe(400);
    expect(xmlField(answer.body, 'Code')).toBe('InvalidURI');
  });

  it('holds a key with a NUL in memory, as S3 does, and refuses it with 400 on disk, never revealing a path', async () => {
    const put = await rawRequest(server.endpoint, 'PUT', `/${Bucket}/nul%00key`, 'zero');
    const get = await rawRequest(server.endpoint, 'GET', `/${Bucket}/nul%00key`);

    if (directory) {
      expect(put.status).toBe(400);
      expect(xmlField(put.body, 'Code')).toBe('InvalidArgument');
      expect(get.status).toBe(400);
      expect(`${put.body}${get.body}`).not.toContain(directory);
    } else {
      expect(put.status).toBe(200);
      expect(get).toEqual({ status: 200, body: 'zero' });
    }
  });

  it('answers a failure it did not expect with 500 InternalError in S3’s words, never a path', async () => {
    // On disk a key cannot also be the folder of another key: the second write fails in the file system.
    await rawRequest(server.endpoint, 'PUT', `/${Bucket}/leaf`, 'x');
    const nested = await rawRequest(server.endpoint, 'PUT', `/${Bucket}/leaf/child`, 'y');

    if (directory) {
      expect(nested.status).toBe(500);
      expect(xmlField(nested.body, 'Code')).toBe('InternalError');
      expect(xmlField(nested.body, 'Message')).toBe(
        'We encountered an internal error. Please try again.',
      );
      expect(nested.body).not.toContain(directory);
      expect(nested.body).not.toMatch(/ENOTDIR|EEXIST|\/tmp\//);
    } else {
      expect(nested.status).toBe(200);
    }
  });

  it('answers 501 NotImplemented in S3 error XML for calls it does not implement', async () => {
    await s3.send(new PutObjectCommand({ Bucket, Key: 'tagged', Body: 'x' }));

    const failure = await failureOf(
      s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'tagged' })),
    );

    expect(failure.name).toBe('NotImplemented');
    expect(failure.$metadata.httpStatusCode).toBe(501);
  });
});

describe('the local archive server backed by a directory', () => {
  it('keeps objects across a restart', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'archive-server-'));
    const first = await startArchiveServer({ directory, buckets: ['kept'] });
    const firstClient = clientFor(first.endpoint);
    await firstClient.send(new PutObjectCommand({ Bucket: 'kept', Key: 'k/v', Body: 'value' }));
    firstClient.destroy();
    await first.stop();

    const second = await startArchiveServer({ directory });
    const secondClient = clientFor(second.endpoint);
    const got = await secondClient.send(new GetObjectCommand({ Bucket: 'kept', Key: 'k/v' }));

    expect(await got.Body!.transformToString()).toBe('value');
    secondClient.destroy();
    await second.stop();
    await rm(directory, { recursive: true, force: true });
  });
});
