/**
 * What a function bundle gets for `@aws-sdk/client-dynamodb` (see `bundleSubstitutes`): a
 * client for DynamoDB's item operations over its JSON protocol, and nothing else. The SDK's
 * client is about 150 KB of every function's bundle (schemas, endpoint rules, middleware,
 * codecs) and 20 to 45 ms of its module init on every cold start, for what is, on the wire,
 * one signed POST per call: `x-amz-target: DynamoDB_20120810.<Operation>` and the input as
 * JSON.
 *
 * It behaves as the SDK's client in everything the bundled code can see:
 * - outputs are the SDK's: the answer's JSON, with binary values (B, BS, nested in M and L)
 *   as Uint8Array, and `$metadata`;
 * - failures are the SDK's exception classes, with the same name, message, `$fault`,
 *   `$metadata` and fields (`Item`, `CancellationReasons`, …), or a `DynamoDBServiceException`
 *   named by the answer's error type;
 * - retries are the SDK's standard mode with its DynamoDB defaults: 4 attempts, full-jitter
 *   backoff from 25 ms (1 s after throttling), the same retry quota, only throttling and
 *   transient failures retried;
 * - requests are signed with Signature Version 4 as the SDK signs them, sent by node:http(s)
 *   over kept-alive connections, as the SDK's handler sends them (Node's fetch would load its
 *   undici on the first call, some 60 ms), and `abortSignal` is honoured.
 *
 * It takes the settings the bundled code passes (region, endpoint, credentials, maxAttempts,
 * requestHandler.requestTimeout) and refuses any other at construction, so a bundle cannot
 * lose one silently. Region and credentials default to the environment, as the SDK's do in
 * Lambda. It exports only the item operations' commands: their outputs hold no timestamps,
 * which the SDK would turn into Dates, and a bundle that imports another command fails to
 * build rather than answer in a shape the SDK would not. Code that is not bundled (the CLI,
 * the local stack, tests) keeps the real SDK.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Agent } from 'node:http';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { backoffDelayMs, type RetryPolicy, sleepMs } from '../retry.js';

/** AWS credentials, as the SDK's `credentials` setting takes them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** The HTTP call the client makes, in the shape of `fetch`, which can stand in for it. */
export type Fetch = (
  url: URL,
  init: {
    readonly method: 'POST';
    readonly headers: Record<string, string>;
    readonly body: string;
    readonly signal: AbortSignal;
  },
) => Promise<{
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

/** The SDK's client settings this client honours; any other is refused. */
export interface DynamoDBClientConfig {
  /** @default AWS_REGION */
  readonly region?: string | (() => Promise<string>);
  /** @default `https://dynamodb.<region>.amazonaws.com` */
  readonly endpoint?: string | URL;
  /** @default the environment's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN */
  readonly credentials?: Credentials | (() => Promise<Credentials>);
  /** Attempts in all, the first included. @default 4, as the SDK's DynamoDB client */
  readonly maxAttempts?: number;
  /**
   * `requestTimeout`: ms before one attempt fails with a retryable TimeoutError, as the SDK's
   * handler with `throwOnRequestTimeout`. @default 300000, the SDK's socket timeout
   */
  readonly requestHandler?: { readonly requestTimeout?: number };
  /** Not an SDK setting: the HTTP call, for tests. @default node:http(s) with kept-alive connections */
  readonly fetch?: Fetch;
  /** Not an SDK setting: the backoff's jitter and wait, for tests. @default Math.random, setTimeout */
  readonly retry?: Pick<RetryPolicy, 'random' | 'sleep'>;
}

/** What the SDK puts on every output and exception as `$metadata`. */
export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  extendedRequestId?: string;
  cfId?: string;
  attempts?: number;
  totalRetryDelay?: number;
}

/** An operation's output: DynamoDB's answer, and `$metadata`. */
export type DynamoDBOutput = Record<string, unknown> & { readonly $metadata: ResponseMetadata };

type Fault = 'client' | 'server';

/** The base class of every exception the client throws for an error DynamoDB answers, as the SDK's. */
export class DynamoDBServiceException extends Error {
  $fault: Fault;
  $metadata: ResponseMetadata;
  $retryable?: { readonly throttling?: boolean };
  [field: string]: unknown;
  constructor(options: { name: string; $fault: Fault; $metadata?: ResponseMetadata }) {
    super();
    this.name = options.name;
    this.$fault = options.$fault;
    this.$metadata = options.$metadata ?? {};
  }
}

interface ModelledException {
  new (): DynamoDBServiceException;
}

const MODELLED = new Map<string, ModelledException>();

const exception = (
  name: string,
  fault: Fault = 'client',
  retryable?: object,
): ModelledException => {
  const modelled = class extends DynamoDBServiceException {
    constructor() {
      super({ name, $fault: fault });
      if (retryable) this.$retryable = retryable;
    }
  };
  // The class's own name, as the SDK's: stack traces and `constructor.name` read it.
  Object.defineProperty(modelled, 'name', { value: name });
  MODELLED.set(name, modelled);
  return modelled;
};

/** DynamoDB's modelled errors, one class each, as the SDK names and faults them. */
export const BackupInUseException = exception('BackupInUseException');
export const BackupNotFoundException = exception('BackupNotFoundException');
export const ConditionalCheckFailedException = exception('ConditionalCheckFailedException');
export const ContinuousBackupsUnavailableException = exception(
  'ContinuousBackupsUnavailableException',
);
export const DuplicateItemException = exception('DuplicateItemException');
export const ExportConflictException = exception('ExportConflictException');
export const ExportNotFoundException = exception('ExportNotFoundException');
export const GlobalTableAlreadyExistsException = exception('GlobalTableAlreadyExistsException');
export const GlobalTableNotFoundException = exception('GlobalTableNotFoundException');
export const IdempotentParameterMismatchException = exception(
  'IdempotentParameterMismatchException',
);
export const ImportConflictException = exception('ImportConflictException');
export const ImportNotFoundException = exception('ImportNotFoundException');
export const IndexNotFoundException = exception('IndexNotFoundException');
export const InternalServerError = exception('InternalServerError', 'server');
export const InvalidEndpointException = exception('InvalidEndpointException');
export const InvalidExportTimeException = exception('InvalidExportTimeException');
export const InvalidRestoreTimeException = exception('InvalidRestoreTimeException');
export const ItemCollectionSizeLimitExceededException = exception(
  'ItemCollectionSizeLimitExceededException',
);
export const LimitExceededException = exception('LimitExceededException');
export const PointInTimeRecoveryUnavailableException = exception(
  'PointInTimeRecoveryUnavailableException',
);
export const PolicyNotFoundException = exception('PolicyNotFoundException');
export const ProvisionedThroughputExceededException = exception(
  'ProvisionedThroughputExceededException',
);
export const ReplicaAlreadyExistsException = exception('ReplicaAlreadyExistsException');
export const ReplicaNotFoundException = exception('ReplicaNotFoundException');
export const ReplicatedWriteConflictException = exception(
  'ReplicatedWriteConflictException',
  'client',
  {},
);
export const RequestLimitExceeded = exception('RequestLimitExceeded');
export const ResourceInUseException = exception('ResourceInUseException');
export const ResourceNotFoundException = exception('ResourceNotFoundException');
export const TableAlreadyExistsException = exception('TableAlreadyExistsException');
export const TableInUseException = exception('TableInUseException');
export const TableNotFoundException = exception('TableNotFoundException');
export const ThrottlingException = exception('ThrottlingException');
export const TransactionCanceledException = exception('TransactionCanceledException');
export const TransactionConflictException = exception('TransactionConflictException');
export const TransactionInProgressException = exception('TransactionInProgressException');

/** A command: the operation's input, kept as `input`, as the SDK's commands keep it. */
export class DynamoDBCommand {
  static readonly operation: string = '';
  constructor(readonly input: object) {}
}

const command = (operation: string) =>
  class extends DynamoDBCommand {
    static override readonly operation = operation;
  };

/** The item operations' commands, as the SDK names them. */
export class BatchGetItemCommand extends command('BatchGetItem') {}
export class BatchWriteItemCommand extends command('BatchWriteItem') {}
export class DeleteItemCommand extends command('DeleteItem') {}
export class GetItemCommand extends command('GetItem') {}
export class PutItemCommand extends command('PutItem') {}
export class QueryCommand extends command('Query') {}
export class ScanCommand extends command('Scan') {}
export class TransactGetItemsCommand extends command('TransactGetItems') {}
export class TransactWriteItemsCommand extends command('TransactWriteItems') {}
export class UpdateItemCommand extends command('UpdateItem') {}

// In DynamoDB's JSON a member named B with a string value, or BS with an array, occurs only
// in an attribute value (an item map's B is an attribute value, an object), so these are
// exactly the places the SDK's codec reads as base64.
const toBytes = (base64: string): Uint8Array => {
  const buffer = Buffer.from(base64, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
};

const reviveBinary = (key: string, value: unknown): unknown => {
  if (key === 'B' && typeof value === 'string') return toBytes(value);
  if (key === 'BS' && Array.isArray(value)) return value.map(toBytes);
  return value;
};

// The SDK writes every blob as base64 and leaves out members that are null. The holder's own
// value, not `value`: a Buffer has already been through its toJSON by then.
function writeBinary(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const own = this[key];
  if (own instanceof Uint8Array)
    return Buffer.from(own.buffer, own.byteOffset, own.byteLength).toString('base64');
  return value === null ? undefined : value;
}

const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TIMEOUT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const NETWORK_CODES = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);

interface Failure {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly cause?: unknown;
  readonly $retryable?: { readonly throttling?: boolean };
  $metadata?: ResponseMetadata;
}

const isThrottling = (error: Failure): boolean =>
  error.$metadata?.httpStatusCode === 429 ||
  THROTTLING.has(error.name ?? '') ||
  error.$retryable?.throttling === true;

const isTransient = (error: Failure | undefined, depth = 0): boolean =>
  error !== undefined &&
  error.name !== 'AbortError' &&
  (error.$retryable !== undefined ||
    TRANSIENT_NAMES.has(error.name ?? '') ||
    TIMEOUT_CODES.has(error.code ?? '') ||
    NETWORK_CODES.has(error.code ?? '') ||
    TRANSIENT_STATUSES.has(error.$metadata?.httpStatusCode ?? 0) ||
    (error.name === 'InvalidSignatureException' &&
      !!error.message?.includes('Signature expired')) ||
    (typeof error.cause === 'object' &&
      error.cause !== null &&
      depth <= 10 &&
      isTransient(error.cause as Failure, depth + 1)));

// The SDK's standard retry mode, as its DynamoDB client sets it up (retries-2026).
const STANDARD = {
  maxAttempts: 4,
  baseDelayMs: 25,
  throttlingBaseDelayMs: 1000,
  maxDelayMs: 20_000,
  quota: 500,
  cost: 14,
  throttlingCost: 5,
} as const;

const failureOf = (error: unknown): Failure =>
  typeof error === 'object' && error !== null
    ? (error as Failure)
    : new Error(`AWS SDK error wrapper for ${String(error)}`);

/** The SDK's AbortError: the signal's reason as cause, or as message when it is not an Error. */
const abortError = (signal: AbortSignal): Error => {
  const { reason } = signal;
  const error =
    reason && !(reason instanceof Error) ? new Error(String(reason)) : new Error('Request aborted');
  error.name = 'AbortError';
  if (reason instanceof Error) error.cause = reason;
  return error;
};

/** The error type of a failed answer, from `__type`, a `code` member or the header, as the SDK reads it. */
const errorTypeOf = (data: Record<string, unknown>, header: string | null): string | undefined => {
  const codeKey = Object.keys(data).find((key) => key.toLowerCase() === 'code');
  const raw = data.__type ?? (codeKey === undefined ? undefined : data[codeKey]) ?? header;
  if (raw === undefined || raw === null) return undefined;
  let type = String(raw).split(',')[0]!.split(':')[0]!;
  if (type.includes('#')) type = type.split('#')[1]!;
  return type;
};

/** The exception the SDK throws for a failed answer: its class, fault, message and every member. */
const serviceException = (
  status: number,
  data: Record<string, unknown>,
  errorTypeHeader: string | null,
  metadata: ResponseMetadata,
): DynamoDBServiceException => {
  const type = errorTypeOf(data, errorTypeHeader) ?? 'Unknown';
  const Modelled = MODELLED.get(type);
  const error = Modelled
    ? new Modelled()
    : new DynamoDBServiceException({ name: type, $fault: status < 500 ? 'client' : 'server' });
  error.$metadata = metadata;
  error.message = String(data.message ?? data.Message ?? 'UnknownError');
  for (const [key, value] of Object.entries(data))
    if (
      value !== undefined &&
      (error[key] === undefined || error[key] === null || error[key] === '')
    )
      error[key] = value;
  delete error.Message;
  return error;
};

const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');

/**
 * `headers` with Signature Version 4 for DynamoDB added (x-amz-content-sha256, x-amz-date,
 * x-amz-security-token, authorization), every header signed, as the SDK's signer signs them.
 */
const signed = (
  url: URL,
  headers: Record<string, string>,
  body: string,
  region: string,
  credentials: Credentials,
): Record<string, string> => {
  const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = date.slice(0, 8);
  const payloadHash = sha256Hex(body);
  const all: Record<string, string> = {
    ...headers,
    host: url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': date,
    ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
  };
  const names = Object.keys(all).sort();
  const canonicalRequest = [
    'POST',
    encodeURIComponent(url.pathname).replace(/%2F/g, '/'),
    '',
    ...names.map((name) => `${name}:${all[name]!.trim().replace(/\s+/g, ' ')}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/dynamodb/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = [day, region, 'dynamodb', 'aws4_request'].reduce<string | Buffer>(
    hmac,
    `AWS4${credentials.secretAccessKey}`,
  );
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return {
    ...all,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
};

/** {@link Fetch} over node:http(s), as the SDK's NodeHttpHandler sends: one agent per protocol. */
const nodeFetch =
  (agentFor: (protocol: string) => Agent): Fetch =>
  (url, init) =>
    new Promise((resolve, reject) => {
      // Loaded on the first call, not at module init: an ESM import of node:https costs more.
      const { request } = process.getBuiltinModule(
        url.protocol === 'http:' ? 'node:http' : 'node:https',
      );
      const sent = request(
        url,
        {
          method: init.method,
          headers: init.headers,
          agent: agentFor(url.protocol),
          signal: init.signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: response.statusCode ?? -1,
              headers: {
                get: (name) => {
                  const value = response.headers[name.toLowerCase()];
                  return value === undefined ? null : String(value);
                },
              },
              text: async () => text,
            });
          });
        },
      );
      sent.on('error', (error: NodeJS.ErrnoException) =>
        reject(
          TIMEOUT_CODES.has(error.code ?? '')
            ? Object.assign(error, { name: 'TimeoutError' })
            : error,
        ),
      );
      sent.end(init.body);
    });

const SETTINGS = new Set([
  'region',
  'endpoint',
  'credentials',
  'maxAttempts',
  'requestHandler',
  'requestHandler.requestTimeout',
  'fetch',
  'retry',
]);

/**
 * DynamoDB's client, as function bundles resolve `@aws-sdk/client-dynamodb`'s: `send` takes
 * a command and answers its output or throws the SDK's exception for it.
 *
 * @example
 * const client = new DynamoDBClient({ region: 'eu-west-1' });
 * const { Item } = await client.send(new GetItemCommand({ TableName: 'main', Key: { PK: { S: 'USER#1' }, SK: { S: 'PROFILE' } } }));
 */
export class DynamoDBClient {
  readonly #config: DynamoDBClientConfig;
  readonly #agents = new Map<string, Agent>();
  readonly #fetch: Fetch;
  #target: Promise<{ url: URL; region: string }> | undefined;
  #credentials: Promise<Credentials> | undefined;
  #quota: number = STANDARD.quota;
  readonly #fromEnvironment = fromEnv();

  constructor(config: DynamoDBClientConfig = {}) {
    const settings: [string, unknown][] = [
      ...Object.entries(config),
      ...Object.entries(config.requestHandler ?? {}).map(([key, value]): [string, unknown] => [
        `requestHandler.${key}`,
        value,
      ]),
    ];
    for (const [setting, value] of settings)
      if (value !== undefined && !SETTINGS.has(setting))
        throw new Error(
          `the function bundle's DynamoDB client does not honour the setting ${setting}: ` +
            'remove @aws-sdk/client-dynamodb from bundleSubstitutes, or teach it the setting',
        );
    this.#config = config;
    this.#fetch = config.fetch ?? nodeFetch((protocol) => this.#agent(protocol));
  }

  /**
   * Runs one command: its output, or the SDK's exception for DynamoDB's answer once the
   * retries are spent.
   *
   * @example
   * await client.send(new PutItemCommand({ TableName: 'main', Item: item }), { abortSignal });
   */
  async send(
    command: DynamoDBCommand,
    options: { readonly abortSignal?: AbortSignal } = {},
  ): Promise<DynamoDBOutput> {
    const { operation } = command.constructor as typeof DynamoDBCommand;
    const body = JSON.stringify(command.input ?? {}, writeBinary);
    // As the SDK: the endpoint and the identity are resolved once a call, before its retries.
    if (!this.#target) this.#target = this.#resolveTarget();
    const target = await this.#target;
    const credentials = await this.#resolveCredentials();
    const maxAttempts = this.#config.maxAttempts ?? STANDARD.maxAttempts;
    const { random = Math.random, sleep = sleepMs } = this.#config.retry ?? {};
    const signal = options.abortSignal;
    let totalRetryDelay = 0;
    let retryCost: number | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        if (signal?.aborted) throw abortError(signal);
        const output = await this.#attempt(operation, body, target, credentials, signal);
        this.#quota = Math.min(STANDARD.quota, this.#quota + (retryCost ?? 1));
        Object.assign(output.$metadata, { attempts: attempt, totalRetryDelay });
        return output;
      } catch (thrown) {
        const error = failureOf(thrown);
        const throttled = isThrottling(error);
        const cost = throttled ? STANDARD.throttlingCost : STANDARD.cost;
        if (!(throttled || isTransient(error)) || attempt >= maxAttempts || this.#quota < cost) {
          error.$metadata = { ...error.$metadata, attempts: attempt, totalRetryDelay };
          throw error;
        }
        const delay = backoffDelayMs(attempt, {
          baseDelayMs: throttled ? STANDARD.throttlingBaseDelayMs : STANDARD.baseDelayMs,
          maxDelayMs: STANDARD.maxDelayMs,
          random,
        });
        this.#quota -= cost;
        retryCost = cost;
        await abortable(sleep(delay), signal);
        totalRetryDelay += delay;
      }
    }
  }

  /** Closes the kept-alive connections, as the SDK's `destroy`. */
  destroy(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }

  async #attempt(
    operation: string,
    body: string,
    { url, region }: { url: URL; region: string },
    credentials: Credentials,
    signal: AbortSignal | undefined,
  ) {
    const headers = signed(
      url,
      {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': `DynamoDB_20120810.${operation}`,
      },
      body,
      region,
      credentials,
    );
    const timeoutMs = this.#config.requestHandler?.requestTimeout ?? 300_000;
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          Object.assign(new Error(`Request did not complete within ${timeoutMs} ms`), {
            name: 'TimeoutError',
          }),
        ),
      timeoutMs,
    );
    const onAbort = () => controller.abort(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
      });
      const text = await response.text();
      const header = (name: string) => response.headers.get(name) ?? undefined;
      const $metadata: ResponseMetadata = {
        httpStatusCode: response.status,
        requestId:
          header('x-amzn-requestid') ?? header('x-amzn-request-id') ?? header('x-amz-request-id'),
        extendedRequestId: header('x-amz-id-2'),
        cfId: header('x-amz-cf-id'),
      };
      let data: Record<string, unknown>;
      try {
        data = text ? (JSON.parse(text, reviveBinary) as Record<string, unknown>) : {};
      } catch (error) {
        // As the SDK: a body that is not JSON fails with the parser's error and the status.
        throw Object.assign(error as Error, { $metadata });
      }
      if (response.status >= 300)
        throw serviceException(
          response.status,
          data,
          response.headers.get('x-amzn-errortype'),
          $metadata,
        );
      return { ...data, $metadata } as DynamoDBOutput;
    } catch (error) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #resolveTarget() {
    const configured = this.#config.region;
    const region =
      (typeof configured === 'function' ? await configured() : configured) ??
      process.env.AWS_REGION;
    if (!region) throw new Error('Region is missing');
    const url = new URL(
      this.#config.endpoint ??
        `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`,
    );
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    return { url, region };
  }

  // As the SDK's memoised identity: kept until five minutes before it expires, if it does.
  async #resolveCredentials(): Promise<Credentials> {
    const configured = this.#config.credentials ?? this.#fromEnvironment;
    if (typeof configured !== 'function') return configured;
    const resolve = () =>
      configured().catch((error: unknown) => {
        this.#credentials = undefined;
        throw error;
      });
    if (!this.#credentials) this.#credentials = resolve();
    const cached = await this.#credentials;
    if (!cached.expiration || cached.expiration.getTime() - Date.now() >= 300_000) return cached;
    this.#credentials = resolve();
    return this.#credentials;
  }

  #agent(protocol: string): Agent {
    let agent = this.#agents.get(protocol);
    if (!agent) {
      const { Agent } = process.getBuiltinModule(protocol === 'http:' ? 'node:http' : 'node:https');
      agent = new Agent({ keepAlive: true, maxSockets: 50 });
      this.#agents.set(protocol, agent);
    }
    return agent;
  }
}

/** `promise`, or the SDK's AbortError as soon as `signal` aborts. */
const abortable = <T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
  if (!signal) return promise;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() =>
    signal.removeEventListener('abort', onAbort),
  );
};
