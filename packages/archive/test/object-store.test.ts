import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { S3RequestError } from '../src/errors.js';
import { crc32Checksum, createS3ObjectStore } from '../src/object-store.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
const KEY = 'archive/Session/2026-11-20/a b+c=d é!.jsonl.gz';
const body = new TextEncoder().encode('{"eventID":"e1"}\n');

interface Sent {
  readonly url: URL;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array;
}

/** A fetch that records each request and answers from `answers` in turn (the last one repeats). */
const recordingFetch = (...answers: (() => Response)[]) => {
  const sent: Sent[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    sent.push({
      url: new URL(String(input)),
      method: init?.method ?? 'GET',
      headers: { ...(init?.headers as Record<string, string>) },
      body: init?.body as Uint8Array | undefined,
    });
    const answer = answers[Math.min(sent.length, answers.length) - 1]!;
    return answer();
  }) as typeof fetch;
  return { sent, fetchImpl };
};

const noSleep = { sleep: async () => {}, random: () => 0 };

/** The hostname and path the SDK's own S3Client sends a PutObject of `key` to. */
const sdkTarget = async (options: { endpoint?: string; forcePathStyle?: boolean }) => {
  let target: { hostname: string; path: string } | undefined;
  const client = new S3Client({
    region: 'eu-west-1',
    credentials,
    ...options,
    requestHandler: {
      handle: async (request: { hostname: string; path: string }) => {
        target = { hostname: request.hostname, path: request.path };
        throw new Error('captured');
      },
    },
  });
  await client
    .send(new PutObjectCommand({ Bucket: 'archive-bucket', Key: KEY, Body: body }))
    .catch(() => undefined);
  return target!;
};

describe('the archive object store', () => {
  it('addresses objects as the SDK does, virtual-hosted in AWS and path-style locally', async () => {
    const { sent, fetchImpl } = recordingFetch(() => new Response(null, { status: 200 }));
    const aws = createS3ObjectStore({ region: 'eu-west-1', credentials, fetch: fetchImpl });
    const local = createS3ObjectStore({
      region: 'eu-west-1',
      credentials,
      endpoint: 'http://127.0.0.1:4566',
      forcePathStyle: true,
      fetch: fetchImpl,
    });

    await aws.putIfAbsent('archive-bucket', KEY, body, 'application/x-ndjson');
    await local.putIfAbsent('archive-bucket', KEY, body, 'application/x-ndjson');

    const virtual = await sdkTarget({});
    const pathStyle = await sdkTarget({ endpoint: 'http://127.0.0.1:4566', forcePathStyle: true });
    expect(sent[0]!.url.hostname).toBe(virtual.hostname);
    expect(sent[0]!.url.pathname).toBe(virtual.path);
    expect(sent[1]!.url.host).toBe('127.0.0.1:4566');
    expect(sent[1]!.url.pathname).toBe(pathStyle.path);
  });

  it('signs exactly what it sends: re-signing the request as received gives the same signature', async () => {
    const { sent, fetchImpl } = recordingFetch(() => new Response(null, { status: 200 }));
    const objects = createS3ObjectStore({ region: 'eu-west-1', credentials, fetch: fetchImpl });

    await objects.putIfAbsent('archive-bucket', KEY, body, 'application/x-ndjson');

    const [request] = sent;
    const { authorization, ...headers } = request!.headers;
    // x-amz-date is YYYYMMDDTHHMMSSZ.
    const date = headers['x-amz-date']!.replace(
      /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
      '$1-$2-$3T$4:$5:$6Z',
    );
    const verifier = new SignatureV4({
      service: 's3',
      region: 'eu-west-1',
      credentials,
      sha256: Sha256ForTest,
      uriEscapePath: false,
      applyChecksum: false,
    });
    const resigned = await verifier.sign(
      {
        method: request!.method,
        protocol: request!.url.protocol,
        hostname: request!.url.hostname,
        path: request!.url.pathname,
        query: {},
        headers: { ...headers, host: request!.url.host },
        body: request!.body,
      },
      { signingDate: new Date(date) },
    );
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\//,
    );
    expect(resigned.headers.authorization).toBe(authorization);
    // What S3 checks beyond the signature: the write-once condition, the body's hashes.
    expect(headers).toMatchObject({
      'if-none-match': '*',
      'x-amz-checksum-crc32': crc32Checksum(body),
      'x-amz-security-token': 'session-token',
      'content-length': String(body.byteLength),
      'content-type': 'application/x-ndjson',
    });
    expect(headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('computes the CRC32 checksum S3 expects', () => {
    // CRC-32 of "123456789" is 0xCBF43926, the standard check value.
    expect(crc32Checksum(new TextEncoder().encode('123456789'))).toBe(
      Buffer.from([0xcb, 0xf4, 0x39, 0x26]).toString('base64'),
    );
  });

  it('answers false on 412, when the key holds an object already', async () => {
    const { fetchImpl } = recordingFetch(() => new Response(null, { status: 412 }));
    const objects = createS3ObjectStore({ region: 'eu-west-1', credentials, fetch: fetchImpl });

    await expect(objects.putIfAbsent('b', 'k', body, 'text/plain')).resolves.toBe(false);
  });

  it('retries throttling, 5xx, conflicts and network failures, then succeeds', async () => {
    let calls = 0;
    const fetchImpl = (async () => {
      calls++;
      if (calls === 1) return new Response('<Error><Code>SlowDown</Code></Error>', { status: 503 });
      if (calls === 2) throw new TypeError('fetch failed');
      if (calls === 3)
        return new Response('<Error><Code>ConditionalRequestConflict</Code></Error>', {
          status: 409,
        });
      return new Response(null, { status: 200 });
    }) as typeof fetch;
    const objects = createS3ObjectStore({
      region: 'eu-west-1',
      credentials,
      fetch: fetchImpl,
      retry: { maxAttempts: 4, ...noSleep },
    });

    await expect(objects.putIfAbsent('b', 'k', body, 'text/plain')).resolves.toBe(true);
    expect(calls).toBe(4);
  });

  it('does not retry a refusal, and names S3 code and status', async () => {
    const { sent, fetchImpl } = recordingFetch(
      () => new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 }),
    );
    const objects = createS3ObjectStore({
      region: 'eu-west-1',
      credentials,
      fetch: fetchImpl,
      retry: noSleep,
    });

    const failure = await objects.get('b', 'k').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(S3RequestError);
    expect(failure).toMatchObject({
      status: 403,
      s3Code: 'AccessDenied',
      code: 'archive.s3Request',
    });
    expect(sent).toHaveLength(1);
  });
});

/** The verifier's hash: an independent SHA-256 from Node's crypto, as the signer's interface wants it. */
class Sha256ForTest {
  readonly #parts: Buffer[] = [];
  readonly #secret?: Buffer;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    if (secret !== undefined) this.#secret = toBuffer(secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.#parts.push(toBuffer(data));
  }
  async digest() {
    const { createHash, createHmac } = await import('node:crypto');
    const hash = this.#secret ? createHmac('sha256', this.#secret) : createHash('sha256');
    return new Uint8Array(hash.update(Buffer.concat(this.#parts)).digest());
  }
}

const toBuffer = (data: string | ArrayBuffer | ArrayBufferView): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);
