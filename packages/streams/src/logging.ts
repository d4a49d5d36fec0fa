import { Logger } from '@aws-lambda-powertools/logger';
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import type { ChangeEvent } from './types.js';

/** The part of a Powertools `Logger` the processors use; pass your function's logger. */
export type LogSink = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** What replaces a value that may be personal data. */
export const REDACTED = '[redacted]';

// Whole subtrees that hold item attributes: any of them may carry an email or a name.
const ITEM_FIELDS = new Set([
  'newimage',
  'oldimage',
  'images',
  'image',
  'keys',
  'item',
  'items',
  'document',
]);
const PERSONAL_FIELDS = new Set([
  'name',
  'firstname',
  'lastname',
  'fullname',
  'username',
  'phone',
  'address',
  'email',
]);
const EMAIL = /[^\s@"'<>()[\],;:]+@[^\s@"'<>()[\],;:]+/g;
const MAX_DEPTH = 6;

const isPersonalField = (field: string): boolean => {
  const lower = field.toLowerCase();
  return ITEM_FIELDS.has(lower) || PERSONAL_FIELDS.has(lower) || lower.endsWith('email');
};

/** Replaces anything shaped like an email address in free text (error messages, keys). */
export const scrubText = (text: string): string =>
  text.includes('@') ? text.replace(EMAIL, REDACTED) : text;

/**
 * A copy of a value that is safe to log: images, keys, items and fields such as `email`
 * or `name` become `[redacted]`, email-shaped text anywhere is scrubbed, errors keep name,
 * code, reason, sequence number and a scrubbed message.
 *
 * @example
 * logger.error('sink refused the record', redact({ error, newImage }));
 */
export const redact = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return scrubText(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (depth >= MAX_DEPTH) return '[depth]';
  if (value instanceof NumberValue) return value.toString();
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof Set) return `[set of ${value.size}]`;
  if (value instanceof Error) {
    const error = value as Error & Record<string, unknown>;
    const out: Record<string, unknown> = { name: error.name, message: scrubText(error.message) };
    for (const field of ['code', 'reason', 'sequenceNumber', 'eventID', 'statusCode']) {
      if (error[field] !== undefined) out[field] = redact(error[field], depth + 1);
    }
    if (error.cause !== undefined) out.cause = redact(error.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value)) {
    out[field] = isPersonalField(field) ? REDACTED : redact(item, depth + 1);
  }
  return out;
};

let fallback: Logger | undefined;

/** The logger used when a caller passes none; built on first use. */
export const defaultLogger = (): LogSink => {
  fallback ??= new Logger({ serviceName: 'stream-processor' });
  return fallback;
};

/** Fields every line of a {@link RecordLogger} carries, such as `sequenceNumber` and `eventID`. */
export type LogKeys = Readonly<Record<string, string | number | undefined>>;

/**
 * A logger bound to one stream record: every line carries its sequence number and event id,
 * and every extra field goes through {@link redact}. It is two fields, not a child `Logger`,
 * so that binding one per record costs nothing on the hot path.
 *
 * @example
 * ctx.logger.warn('order without lines', { orderId });
 */
export class RecordLogger {
  readonly #sink: LogSink;
  readonly #keys: LogKeys;
  constructor(sink: LogSink, keys: LogKeys) {
    this.#sink = sink;
    this.#keys = keys;
  }
  /** Logs at debug level. */
  debug(message: string, extra?: Record<string, unknown>): void {
    this.#sink.debug(scrubText(message), this.#attributes(extra));
  }
  /** Logs at info level. */
  info(message: string, extra?: Record<string, unknown>): void {
    this.#sink.info(scrubText(message), this.#attributes(extra));
  }
  /** Logs at warn level. */
  warn(message: string, extra?: Record<string, unknown>): void {
    this.#sink.warn(scrubText(message), this.#attributes(extra));
  }
  /** Logs at error level. */
  error(message: string, extra?: Record<string, unknown>): void {
    this.#sink.error(scrubText(message), this.#attributes(extra));
  }
  #attributes(extra: Record<string, unknown> | undefined): Record<string, unknown> {
    const keys = this.#keys as Record<string, unknown>;
    return extra === undefined
      ? { ...keys }
      : { ...(redact(extra) as Record<string, unknown>), ...keys };
  }
}

/** A {@link RecordLogger} bound to one decoded change. */
export const changeLogger = (sink: LogSink, change: ChangeEvent): RecordLogger =>
  new RecordLogger(sink, {
    sequenceNumber: change.sequenceNumber,
    eventID: change.eventID,
    entityType: change.entityType,
    kind: change.kind,
  });
