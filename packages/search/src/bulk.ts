import type { Client } from '@opensearch-project/opensearch';
import { backoffDelayMs } from '@pipeline/pipeline';
import { BulkItemError, SearchRequestError } from './errors.js';

/** One external-versioned index operation of a `_bulk` request. */
export interface BulkOperation {
  readonly index: string;
  readonly id: string;
  readonly version: number;
  readonly source: unknown;
}

/** The part of the OpenSearch client that {@link sendBulk} uses; tests wrap it to inject faults. */
export type BulkClient = Pick<Client, 'bulk'>;

/** Default ceiling of one request body: inside the 5–10 MiB band, below the 10 MiB some domains refuse. */
export const DEFAULT_MAX_BULK_BYTES = 8 * 1024 * 1024;

/**
 * Serialises one operation as its two NDJSON lines, with `version_type=external` so that
 * OpenSearch keeps the higher version whatever order writes arrive in.
 *
 * @example
 * serializeOperation({ index: 'orders-write', id: 'o1', version: 3, source: { orderId: 'o1' } })
 * // '{"index":{"_index":"orders-write","_id":"o1","version":3,"version_type":"external"}}\n{"orderId":"o1"}\n'
 */
export const serializeOperation = (operation: BulkOperation): string =>
  `${JSON.stringify({
    index: {
      _index: operation.index,
      _id: operation.id,
      version: operation.version,
      version_type: 'external',
    },
  })}\n${JSON.stringify(operation.source)}\n`;

/**
 * Groups positions into consecutive chunks whose byte sizes add up to at most `maxBytes`;
 * an operation bigger than the limit goes alone (OpenSearch answers it with a 413).
 *
 * @example
 * chunkBySize([4, 4, 4], 8) // [[0, 1], [2]]
 */
export const chunkBySize = (sizes: readonly number[], maxBytes: number): number[][] => {
  const chunks: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (let position = 0; position < sizes.length; position++) {
    const size = sizes[position]!;
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(position);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
};

/** Whether a status is worth retrying: throttling and server errors. */
export const isRetryableStatus = (status: number | undefined): boolean =>
  status === undefined || status === 429 || status >= 500;

/** Options of {@link sendBulk}. */
export interface SendBulkOptions {
  /** @default {@link DEFAULT_MAX_BULK_BYTES} */
  readonly maxBulkBytes?: number;
  /** Epoch ms after which no retry starts. @default now + 30 s */
  readonly deadline?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default 100 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
}

/** What happened to a list of operations. */
export interface BulkOutcome {
  /** Operations that still failed, by position, with their last error. */
  readonly failures: Map<number, unknown>;
  /** `_bulk` requests sent, retries and 413 splits included. */
  readonly requests: number;
  /** Items answered 409: newer data was already there, which counts as success. */
  readonly conflicts: number;
  /** Item retries after 429 or 5xx. */
  readonly retries: number;
}

const statusOf = (error: unknown): number | undefined =>
  (error as { meta?: { statusCode?: number } })?.meta?.statusCode ??
  (error as { statusCode?: number })?.statusCode;

interface BulkItemResult {
  status?: number;
  error?: { type?: string; reason?: string };
}

const sleeper = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends operations as `_bulk` requests of at most `maxBulkBytes`, one request per chunk.
 * 2xx and 409 items are done; 429 and 5xx items (or a whole request failing that way) are
 * retried with the shared capped backoff and full jitter while the deadline allows; a 413 splits its
 * request in two; anything else fails for good. Returns the failures by position so the
 * caller can map them back to the records that produced them.
 *
 * @example
 * const { failures } = await sendBulk(client, operations, { deadline: Date.now() + 20_000 });
 */
export const sendBulk = async (
  client: BulkClient,
  operations: readonly BulkOperation[],
  options: SendBulkOptions = {},
): Promise<BulkOutcome> => {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleeper;
  const random = options.random ?? Math.random;
  const deadline = options.deadline ?? now() + 30_000;
  const maxBytes = options.maxBulkBytes ?? DEFAULT_MAX_BULK_BYTES;
  const lines = operations.map(serializeOperation);
  const sizes = lines.map((line) => Buffer.byteLength(line));
  const failures = new Map<number, unknown>();
  let requests = 0;
  let conflicts = 0;
  let retries = 0;

  const sendChunk = async (positions: readonly number[]): Promise<number[]> => {
    requests++;
    let items: Record<string, BulkItemResult>[];
    try {
      const response = await client.bulk(
        { body: positions.map((position) => lines[position]).join('') as never },
        { maxRetries: 0 },
      );
      items = (response.body as { items: Record<string, BulkItemResult>[] }).items;
    } catch (error) {
      const status = statusOf(error);
      if (status === 413 && positions.length > 1) {
        const half = Math.ceil(positions.length / 2);
        return [
          ...(await sendChunk(positions.slice(0, half))),
          ...(await sendChunk(positions.slice(half))),
        ];
      }
      const reason = error instanceof Error ? error.message : String(error);
      const failure = new SearchRequestError('bulk', status, reason, { cause: error });
      for (const position of positions) failures.set(position, failure);
      return isRetryableStatus(status) && status !== 413 ? [...positions] : [];
    }
    const retry: number[] = [];
    positions.forEach((position, k) => {
      const item = Object.values(items[k] ?? {})[0];
      const status = item?.status;
      if (status !== undefined && status < 300) {
        failures.delete(position);
        return;
      }
      if (status === 409) {
        conflicts++;
        failures.delete(position);
        return;
      }
      const operation = operations[position]!;
      failures.set(
        position,
        new BulkItemError(
          operation.index,
          operation.id,
          status ?? 0,
          `${item?.error?.type ?? 'missing item result'}: ${item?.error?.reason ?? ''}`,
        ),
      );
      if (isRetryableStatus(status)) retry.push(position);
    });
    return retry;
  };

  let pending = operations.map((_, position) => position);
  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: number[] = [];
    for (const chunk of chunkBySize(
      pending.map((position) => sizes[position]!),
      maxBytes,
    )) {
      retry.push(...(await sendChunk(chunk.map((k) => pending[k]!))));
    }
    if (retry.length === 0) break;
    const delay = backoffDelayMs(attempt, {
      baseDelayMs: options.baseDelayMs ?? 100,
      maxDelayMs: options.maxDelayMs ?? 5000,
      random,
    });
    // What is left stays in `failures` and goes back to the stream to be redelivered.
    if (now() + delay >= deadline) break;
    await sleep(delay);
    retries += retry.length;
    pending = retry;
  }
  return { failures, requests, conflicts, retries };
};
