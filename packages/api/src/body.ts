import { BodyTooLargeError, InvalidJsonError, UnsupportedMediaTypeError } from './errors.js';

/** Largest request body the API reads by default: 64 KiB, far above the largest valid order. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * Parses a whole request body as JSON; an empty body is `undefined`. Refuses a body over
 * the limit (413), one not declared as JSON (415) and JSON that does not parse (400).
 *
 * @example
 * parseJsonBody(Buffer.from('{"to":"paid"}'), 'application/json') // { to: 'paid' }
 */
export const parseJsonBody = (
  raw: Buffer,
  contentType: string | undefined,
  limitBytes = DEFAULT_MAX_BODY_BYTES,
): unknown => {
  if (raw.length > limitBytes) throw new BodyTooLargeError(limitBytes);
  if (raw.length === 0) return undefined;
  const mediaType = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (!JSON_MEDIA_TYPE.test(mediaType)) throw new UnsupportedMediaTypeError(mediaType);
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new InvalidJsonError({ cause: error });
  }
};
