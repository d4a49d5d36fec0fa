/**
 * The two S3 calls the archive writer makes, PutObject with `If-None-Match: *` and
 * GetObject, as signed HTTPS requests over Node's own `fetch`.
 *
 * Why not `S3Client`: a function bundle that imports it carries about 300 KB of the SDK
 * (every operation's schema, the endpoint rules, the checksum and event-stream codecs),
 * which Lambda loads on every cold start. These two calls need only Signature Version 4,
 * signed here by the SDK's own signer (`@smithy/signature-v4`), so the requests are
 * authenticated exactly as the SDK authenticates them. Reading and listing the archive
 * (the CLI, the tests) keep `S3Client`.
 */
import { type BinaryLike, createHash, createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { type RetryPolicy, retry } from '@pipeline/pipeline';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3RequestError } from './errors.js';

/** What the archive writer needs of S3. */
export interface ArchiveObjectStore {
  /**
   * Stores `body` under `key` unless an object is there already (`If-None-Match: *`), with a
   * CRC32 checksum S3 verifies: true when stored, false when the key existed (412).
   */
  putIfAbsent(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<boolean>;
  /** The bytes of the object under `key`. */
  get(bucket: string, key: string): Promise<Uint8Array>;
}

/** AWS credentials, or a function that resolves them, as the signer takes them. */
export type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** Options of {@link createS3ObjectStore}. */
export interface S3ObjectStoreOptions {
  readonly region: string;
  readonly credentials: Credentials;
  /** Another S3-compatible endpoint, such as the local archive. @default S3's regional endpoint */
  readonly endpoint?: string;
  /** Name the bucket in the path rather than the host, as the local archive needs. @default false */
  readonly forcePathStyle?: boolean;
  /** Retries of throttling, 5xx, conflicts and network failures. @default 3 attempts, as the SDK's standard mode */
  readonly retry?: RetryPolicy;
  /** Gives up on one attempt after this long. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** The HTTP client. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** SHA-256 and HMAC-SHA-256 as the signer takes them, from Node's crypto. */
class Sha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
}

const bytesOf = (data: string | ArrayBuffer | ArrayBufferView): BinaryLike =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

const sha256Hex = (body: Uint8Array): string => createHash('sha256').update(body).digest('hex');

/** The CRC32 of `body` as S3's `x-amz-checksum-crc32` carries it: base64 of 4 big-endian bytes. */
export const crc32Checksum = (body: Uint8Array): string => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(body));
  return bytes.toString('base64');
};

/** A key as a URI path: every segment percent-encoded per RFC 3986, the slashes kept. */
const encodeKey = (key: string): string =>
  key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      ),
    )
    .join('/');

// S3 answers these with a throttle, a transient fault or a conflict worth another attempt
// (409 ConditionalRequestConflict: "retry the upload", PutObject's documentation).
const isRetryableStatus = (status: number): boolean =>
  status === 409 || status === 429 || status >= 500;

/** S3's error code from an error body such as `<Error><Code>SlowDown</Code>…</Error>`. */
const errorCodeOf = (text: string): string | undefined => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

/**
 * The archive's S3 client: signed PutObject and GetObject requests, retried as the SDK's
 * standard mode retries them.
 *
 * @example
 * const objects = createS3ObjectStore({ region: 'eu-west-1', credentials: fromEnv() });
 * await objects.putIfAbsent('archive-bucket', 'archive/x.jsonl.gz', body, 'application/x-ndjson');
 */
export const createS3ObjectStore = (options: S3ObjectStoreOptions): ArchiveObjectStore => {
  const signer = new SignatureV4({
    service: 's3',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
    // S3 signs the path as sent, not encoded a second time.
    uriEscapePath: false,
    applyChecksum: false,
  });
  const endpoint = new URL(options.endpoint ?? `https://s3.${options.region}.amazonaws.com`);
  const send = options.fetch ?? fetch;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;

  const urlOf = (bucket: string, key: string): URL => {
    const url = new URL(endpoint);
    const base = url.pathname.replace(/\/$/, '');
    if (options.forcePathStyle) url.pathname = `${base}/${bucket}/${encodeKey(key)}`;
    else {
      url.hostname = `${bucket}.${url.hostname}`;
      url.pathname = `${base}/${encodeKey(key)}`;
    }
    return url;
  };

  const request = (
    method: 'GET' | 'PUT',
    bucket: string,
    key: string,
    headers: Record<string, string>,
    body?: Uint8Array,
  ): Promise<Response> =>
    retry(
      async () => {
        const url = urlOf(bucket, key);
        const signed = await signer.sign({
          method,
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port ? Number(url.port) : undefined,
          path: url.pathname,
          query: {},
          headers: {
            host: url.host,
            'x-amz-content-sha256': sha256Hex(body ?? new Uint8Array()),
            ...headers,
          },
          body,
        });
        // fetch sets Host itself, from the URL it was signed for.
        const { host: _host, ...sent } = signed.headers;
        const response = await send(url, {
          method,
          headers: sent,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (response.ok || (method === 'PUT' && response.status === 412)) return response;
        const text = await response.text();
        throw new S3RequestError(method, bucket, key, response.status, errorCodeOf(text));
      },
      {
        maxAttempts: 3,
        ...options.retry,
        // Network failures and timeouts reject fetch itself; S3's own answers carry a status.
        retryable: (error) => !(error instanceof S3RequestError) || isRetryableStatus(error.status),
      },
    );

  return {
    async putIfAbsent(bucket, key, body, contentType) {
      const response = await request(
        'PUT',
        bucket,
        key,
        {
          'content-type': contentType,
          'content-length': String(body.byteLength),
          'if-none-match': '*',
          'x-amz-checksum-crc32': crc32Checksum(body),
        },
        body,
      );
      await response.arrayBuffer();
      return response.status !== 412;
    },
    async get(bucket, key) {
      const response = await request('GET', bucket, key, {});
      return new Uint8Array(await response.arrayBuffer());
    },
  };
};
