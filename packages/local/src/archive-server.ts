/**
 * A small S3-compatible server for the local archive. It implements exactly what the
 * project calls through `@aws-sdk/client-s3` with `forcePathStyle: true`: CreateBucket,
 * HeadBucket, PutObject (with `If-None-Match: *`, and its CRC32 checksum verified),
 * GetObject, HeadObject, DeleteObject and ListObjectsV2. Anything else answers 501 NotImplemented in S3's error XML, so a
 * new call fails loudly instead of silently doing the wrong thing.
 *
 * Objects live in memory, or under `<directory>/<bucket>/<key>`, the bucket's own key
 * layout, so the files can be read with ordinary tools. Only the bytes are kept: no
 * Content-Type, no user metadata, no versions.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { crc32 } from 'node:zlib';

/** A running local archive server. */
export interface ArchiveServer {
  /** `http://127.0.0.1:<port>`, for an S3 client with `forcePathStyle: true`. */
  readonly endpoint: string;
  /** Closes the server. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@link startArchiveServer}. */
export interface StartArchiveServerOptions {
  /**
   * Port to listen on, on 127.0.0.1.
   * @default a free port
   */
  readonly port?: number;
  /**
   * Directory holding one subdirectory per bucket, keys as paths below it.
   * @default undefined — in memory
   */
  readonly directory?: string;
  /**
   * Buckets to create at start.
   * @default []
   */
  readonly buckets?: readonly string[];
}

interface StoredObject {
  readonly body: Buffer;
  readonly lastModified: Date;
}

/** One entry of a bucket listing. */
interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
  readonly etag: string;
}

/** Where the server keeps buckets and objects. */
interface ObjectStore {
  createBucket(bucket: string): Promise<void>;
  hasBucket(bucket: string): Promise<boolean>;
  /** Resolves false when `ifNoneMatch` and the key exists; the check and the write are atomic. */
  put(bucket: string, key: string, body: Buffer, ifNoneMatch: boolean): Promise<boolean>;
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  delete(bucket: string, key: string): Promise<void>;
  /** Every key of a bucket with its size and time, in S3's order (UTF-8 bytes). */
  list(bucket: string): Promise<ListedObject[]>;
}

/** An S3 error answer. */
class S3Failure {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly extra: Record<string, string> = {},
  ) {}
}

/** S3's limit on a key: 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
/** The longest file name Linux and macOS file systems hold, in bytes. */
const MAX_FILE_NAME_BYTES = 255;

const etagOf = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const memoryStore = (): ObjectStore => {
  const buckets = new Map<string, Map<string, StoredObject & { etag: string }>>();
  return {
    async createBucket(bucket) {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
    },
    async hasBucket(bucket) {
      return buckets.has(bucket);
    },
    async put(bucket, key, body, ifNoneMatch) {
      const objects = buckets.get(bucket)!;
      if (ifNoneMatch && objects.has(key)) return false;
      objects.set(key, { body, lastModified: new Date(), etag: etagOf(body) });
      return true;
    },
    async get(bucket, key) {
      return buckets.get(bucket)?.get(key);
    },
    async delete(bucket, key) {
      buckets.get(bucket)?.delete(key);
    },
    async list(bucket) {
      return [...(buckets.get(bucket)?.entries() ?? [])]
        .map(([key, object]) => ({
          key,
          size: object.body.length,
          lastModified: object.lastModified,
          etag: object.etag,
        }))
        .sort((a, b) => byUtf8(a.key, b.key));
    },
  };
};

// Temporary files live outside every bucket so a listing never sees a half-written object.
const TMP_DIR = '.tmp';

const directoryStore = (root: string): ObjectStore => {
  // A listing would otherwise read every file to hash it; an object changes only by
  // replacement, which changes its modification time or size.
  const etags = new Map<string, { stamp: string; etag: string }>();
  const etagOfFile = async (path: string, size: number, mtimeMs: number) => {
    const stamp = `${size}:${mtimeMs}`;
    const cached = etags.get(path);
    if (cached?.stamp === stamp) return cached.etag;
    const etag = etagOf(await readFile(path));
    etags.set(path, { stamp, etag });
    return etag;
  };
  const bucketDir = (bucket: string) => join(root, bucket);
  const objectPath = (bucket: string, key: string) => {
    const segments = key.split('/');
    // S3 holds such keys; a file name cannot, so they are refused here rather than failing in the file system.
    if (
      key.includes('\u0000') ||
      segments.some((segment) => Buffer.byteLength(segment) > MAX_FILE_NAME_BYTES)
    ) {
      throw new S3Failure(
        400,
        'InvalidArgument',
        `Keys holding a NUL character or a segment over ${MAX_FILE_NAME_BYTES} bytes are not supported by the local archive's directory layout.`,
      );
    }
    return join(bucketDir(bucket), ...segments);
  };
  const walk = async (dir: string): Promise<string[]> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const nested = await Promise.all(
      entries.map((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
      ),
    );
    return nested.flat();
  };
  return {
    async createBucket(bucket) {
      await mkdir(bucketDir(bucket), { recursive: true });
    },
    async hasBucket(bucket) {
      return (await stat(bucketDir(bucket)).catch(() => undefined))?.isDirectory() === true;
    },
    async put(bucket, key, body, ifNoneMatch) {
      const target = objectPath(bucket, key);
      const temp = join(root, TMP_DIR, randomUUID());
      await mkdir(dirname(temp), { recursive: true });
      await mkdir(dirname(target), { recursive: true });
      await writeFile(temp, body);
      try {
        if (!ifNoneMatch) {
          // rename replaces atomically; readers see the old or the new object, never a mix.
          await rename(temp, target);
          return true;
        }
        // link fails with EEXIST when the key exists: an atomic create-if-absent.
        await link(temp, target);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    },
    async get(bucket, key) {
      const path = objectPath(bucket, key);
      try {
        const [body, info] = await Promise.all([readFile(path), stat(path)]);
        return { body, lastModified: info.mtime };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
        throw error;
      }
    },
    async delete(bucket, key) {
      await rm(objectPath(bucket, key), { force: true });
    },
    async list(bucket) {
      const base = bucketDir(bucket);
      const files = await walk(base);
      const objects = await Promise.all(
        files.map(async (file) => {
          const info = await stat(file);
          return {
            key: relative(base, file).split(sep).join('/'),
            size: info.size,
            lastModified: info.mtime,
            etag: await etagOfFile(file, info.size, info.mtimeMs),
          };
        }),
      );
      return objects.sort((a, b) => byUtf8(a.key, b.key));
    },
  };
};

const xmlEscape = (value: string) =>
  value.replace(
    /[<>&'"]/g,
    (char) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[char]!,
  );

const element = (name: string, value: string | number | undefined) =>
  value === undefined ? '' : `<${name}>${xmlEscape(String(value))}</${name}>`;

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';

const sendError = (request: IncomingMessage, response: ServerResponse, failure: S3Failure) => {
  const requestId = randomUUID();
  const body =
    request.method === 'HEAD'
      ? ''
      : `${XML_HEAD}<Error>${element('Code', failure.code)}${element('Message', failure.message)}${Object.entries(
          failure.extra,
        )
          .map(([name, value]) => element(name, value))
          .join('')}${element('RequestId', requestId)}</Error>`;
  response.writeHead(failure.status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
  });
  response.end(body);
};

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * Decodes an `aws-chunked` body: `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n` repeated,
 * a zero-size chunk, then optional `name:value` trailers (the SDK sends its checksum there).
 */
const decodeAwsChunked = (raw: Buffer): { body: Buffer; trailers: Map<string, string> } => {
  const parts: Buffer[] = [];
  const trailers = new Map<string, string>();
  let offset = 0;
  while (offset < raw.length) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(
      raw.subarray(offset, lineEnd).toString('latin1').split(';')[0]!,
      16,
    );
    if (!Number.isFinite(size)) throw new S3Failure(400, 'IncompleteBody', 'bad chunk header');
    if (size === 0) {
      for (const line of raw
        .subarray(lineEnd + 2)
        .toString('latin1')
        .split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0)
          trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      break;
    }
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return { body: Buffer.concat(parts), trailers };
};

/** Refuses a body whose CRC32 checksum, in a header or a trailer, is not its own, as S3 does. */
const verifyCrc32 = (body: Buffer, declared: string | undefined): void => {
  if (declared === undefined) return;
  const actual = Buffer.alloc(4);
  actual.writeUInt32BE(crc32(body));
  if (actual.toString('base64') !== declared) {
    throw new S3Failure(
      400,
      'BadDigest',
      'The CRC32 you specified did not match the calculated checksum.',
    );
  }
};

// Query parameters an implemented call may carry; anything else is a sub-resource
// (?acl, ?tagging, ?uploads…) this server does not implement.
const KNOWN_QUERY = new Set([
  'x-id',
  'list-type',
  'prefix',
  'continuation-token',
  'max-keys',
  'delimiter',
  'start-after',
  'encoding-type',
  'fetch-owner',
]);

const listObjectsV2 = async (
  store: ObjectStore,
  bucket: string,
  query: URLSearchParams,
): Promise<string> => {
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const maxKeysRaw = query.get('max-keys');
  const maxKeys = maxKeysRaw === null ? 1000 : Number(maxKeysRaw);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) {
    throw new S3Failure(400, 'InvalidArgument', 'max-keys must be a non-negative integer');
  }
  const token = query.get('continuation-token') ?? undefined;
  const startAfter = query.get('start-after') ?? '';
  const urlEncode = query.get('encoding-type') === 'url';
  const encode = (value: string) => (urlEncode ? encodeURIComponent(value) : value);
  // The token is the last key or common prefix already returned, base64 so it is opaque.
  const after = token === undefined ? startAfter : Buffer.from(token, 'base64').toString('utf8');

  const contents: ListedObject[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  let truncated = false;
  for (const object of await store.list(bucket)) {
    if (!object.key.startsWith(prefix)) continue;
    let entry = object.key;
    let isPrefix = false;
    if (delimiter) {
      const cut = object.key.indexOf(delimiter, prefix.length);
      if (cut >= 0) {
        entry = object.key.slice(0, cut + delimiter.length);
        isPrefix = true;
      }
    }
    if (after && byUtf8(entry, after) <= 0) continue;
    if (isPrefix && commonPrefixes.at(-1) === entry) continue;
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    last = entry;
    if (isPrefix) commonPrefixes.push(entry);
    else contents.push(object);
  }
  return `${XML_HEAD}<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${element('Name', bucket)}${element('Prefix', encode(prefix))}${delimiter ? element('Delimiter', encode(delimiter)) : ''}${element('MaxKeys', maxKeys)}${element('KeyCount', contents.length + commonPrefixes.length)}${element('IsTruncated', String(truncated))}${token === undefined ? '' : element('ContinuationToken', token)}${startAfter ? element('StartAfter', encode(startAfter)) : ''}${truncated && last !== undefined ? element('NextContinuationToken', Buffer.from(last, 'utf8').toString('base64')) : ''}${urlEncode ? element('EncodingType', 'url') : ''}${contents
    .map(
      (object) =>
        `<Contents>${element('Key', encode(object.key))}${element('LastModified', object.lastModified.toISOString())}${element('ETag', object.etag)}${element('Size', object.size)}${element('StorageClass', 'STANDARD')}</Contents>`,
    )
    .join(
      '',
    )}${commonPrefixes.map((common) => `<CommonPrefixes>${element('Prefix', encode(common))}</CommonPrefixes>`).join('')}</ListBucketResult>`;
};

const VALID_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Decodes a bucket or key from the path; an escape that is not UTF-8 is S3's InvalidURI. */
const decodePathPart = (encoded: string): string => {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new S3Failure(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
};

const handle = async (
  store: ObjectStore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> => {
  // The target is split by hand: a URL parser would read `//b/k` as host `b` and resolve `..`.
  const target = request.url ?? '/';
  const mark = target.indexOf('?');
  const pathname = mark < 0 ? target : target.slice(0, mark);
  const url = {
    pathname,
    searchParams: new URLSearchParams(mark < 0 ? '' : target.slice(mark + 1)),
  };
  const method = request.method ?? 'GET';
  const slash = url.pathname.indexOf('/', 1);
  const bucket = decodePathPart(slash < 0 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
  const key = slash < 0 ? '' : decodePathPart(url.pathname.slice(slash + 1));
  const unknown = [...url.searchParams.keys()].find((name) => !KNOWN_QUERY.has(name));
  const notImplemented = () =>
    new S3Failure(
      501,
      'NotImplemented',
      `The local archive server does not implement ${method} ${unknown ? `?${unknown}` : key ? 'on objects' : 'on buckets'}.`,
    );
  if (!bucket || unknown !== undefined) throw notImplemented();
  if (!VALID_BUCKET.test(bucket)) {
    throw new S3Failure(400, 'InvalidBucketName', 'The specified bucket is not valid.', {
      BucketName: bucket,
    });
  }

  if (!key) {
    if (method === 'PUT') {
      await readBody(request);
      await store.createBucket(bucket);
      response.writeHead(200, { location: `/${bucket}`, 'content-length': 0 });
      response.end();
      return;
    }
    if (!(await store.hasBucket(bucket))) {
      throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: bucket,
      });
    }
    if (method === 'HEAD') {
      response.writeHead(200, { 'content-length': 0 });
      response.end();
      return;
    }
    if (method === 'GET' && url.searchParams.get('list-type') === '2') {
      const body = await listObjectsV2(store, bucket, url.searchParams);
      response.writeHead(200, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
      return;
    }
    throw notImplemented();
  }

  const keyBytes = Buffer.byteLength(key);
  if (keyBytes > MAX_KEY_BYTES) {
    throw new S3Failure(400, 'KeyTooLongError', 'Your key is too long', {
      Size: String(keyBytes),
      MaxSizeAllowed: String(MAX_KEY_BYTES),
    });
  }
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    // Such keys are legal in S3 but have no faithful path in the directory layout.
    throw new S3Failure(
      400,
      'InvalidArgument',
      'Keys with empty, "." or ".." segments are not supported locally.',
    );
  }
  if (!(await store.hasBucket(bucket))) {
    throw new S3Failure(404, 'NoSuchBucket', 'The specified bucket does not exist', {
      BucketName: bucket,
    });
  }
  switch (method) {
    case 'PUT': {
      if (request.headers['x-amz-copy-source'] !== undefined) throw notImplemented();
      const raw = await readBody(request);
      const chunked =
        String(request.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') ||
        String(request.headers['content-encoding'] ?? '').includes('aws-chunked');
      const decoded = chunked ? decodeAwsChunked(raw) : { body: raw, trailers: new Map() };
      const { body } = decoded;
      const checksum = request.headers['x-amz-checksum-crc32'];
      verifyCrc32(
        body,
        typeof checksum === 'string' ? checksum : decoded.trailers.get('x-amz-checksum-crc32'),
      );
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch !== undefined && ifNoneMatch !== '*') {
        throw new S3Failure(501, 'NotImplemented', 'Only If-None-Match: * is implemented.');
      }
      const written = await store.put(bucket, key, body, ifNoneMatch === '*');
      if (!written) {
        throw new S3Failure(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          { Condition: 'If-None-Match' },
        );
      }
      response.writeHead(200, { etag: etagOf(body), 'content-length': 0 });
      response.end();
      return;
    }
    case 'GET':
    case 'HEAD': {
      const object = await store.get(bucket, key);
      if (!object) {
        throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
      }
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': object.body.length,
        etag: etagOf(object.body),
        'last-modified': object.lastModified.toUTCString(),
        'accept-ranges': 'none',
      });
      response.end(method === 'HEAD' ? undefined : object.body);
      return;
    }
    case 'DELETE':
      await store.delete(bucket, key);
      response.writeHead(204);
      response.end();
      return;
    default:
      throw notImplemented();
  }
};

/**
 * Starts the local archive server on 127.0.0.1.
 *
 * @example
 * const archive = await startArchiveServer({ directory: '.local/archive', buckets: ['archive'] });
 * const s3 = new S3Client({ endpoint: archive.endpoint, forcePathStyle: true, region: 'us-east-1' });
 * await archive.stop();
 */
export const startArchiveServer = async (
  options: StartArchiveServerOptions = {},
): Promise<ArchiveServer> => {
  const store = options.directory ? directoryStore(resolve(options.directory)) : memoryStore();
  if (options.directory) await mkdir(options.directory, { recursive: true });
  for (const bucket of options.buckets ?? []) await store.createBucket(bucket);
  const server = createServer((request, response) => {
    handle(store, request, response).catch((error: unknown) => {
      // An unexpected error's message may name a file of the data directory; S3's own words only.
      const failure =
        error instanceof S3Failure
          ? error
          : new S3Failure(
              500,
              'InternalError',
              'We encountered an internal error. Please try again.',
            );
      // The SDK may have sent a body we never read; drain it so the socket stays usable.
      request.resume();
      if (response.headersSent) response.destroy();
      else sendError(request, response, failure);
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  const port = address && typeof address === 'object' ? address.port : 0;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop() {
      stopped ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
};
