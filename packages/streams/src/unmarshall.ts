import { convertToNative, NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import { MalformedAttributeError } from './errors.js';
import type { Image } from './types.js';

/**
 * A decoded DynamoDB number: a plain `number` when that is exact, otherwise the SDK's
 * {@link NumberValue} holding the decimal string DynamoDB sent.
 */
export type DecodedNumber = number | NumberValue;

/** The SDK class that keeps a DynamoDB number exact as its decimal string; `marshall` accepts it. */
export { NumberValue };

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** `sign digits e exponent` with no leading or trailing zeros: equal values give equal strings. */
const canonicalDecimal = (text: string): string | undefined => {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  let digits = whole + fraction;
  let scale = Number(exponent) - fraction.length;
  let start = 0;
  while (start < digits.length && digits[start] === '0') start++;
  digits = digits.slice(start);
  if (digits === '') return '0';
  let end = digits.length;
  while (digits[end - 1] === '0') {
    end--;
    scale++;
  }
  return `${sign === '-' ? '-' : ''}${digits.slice(0, end)}e${scale}`;
};

/**
 * Decodes a DynamoDB `N` string. The rule: a `number` when it is exact, that is an integer
 * within ±(2^53 − 1), or a non-integer whose shortest JavaScript form denotes the same
 * decimal (`0.1`, `12.5`, `1.50`); anything else (`9007199254740993`, 38-digit
 * integers, `0.30000000000000000001`) stays exact as a `NumberValue`, which `marshall`
 * writes back unchanged. Money never meets the second case: it is integer minor units.
 *
 * @example
 * parseNumber('42') // 42
 * parseNumber('12345678901234567890').toString() // '12345678901234567890'
 */
export const parseNumber = (text: string): DecodedNumber => {
  // Up to 15 digits is always a safe integer; checking the characters beats formatting.
  if (text.length <= 15 && isPlainInteger(text)) return Number(text);
  const value = Number(text);
  // The common case costs one comparison: the text is already JavaScript's own spelling.
  if (String(value) === text) {
    return Number.isSafeInteger(value) || !Number.isInteger(value) ? value : new NumberValue(text);
  }
  const canonical = canonicalDecimal(text);
  if (canonical === undefined) throw new MalformedAttributeError('N', `not a number: ${text}`);
  if (value === 0 && canonical === '0') return 0;
  if (
    Number.isFinite(value) &&
    (Number.isSafeInteger(value) || !Number.isInteger(value)) &&
    canonicalDecimal(String(value)) === canonical
  ) {
    return value;
  }
  return new NumberValue(text);
};

const isPlainInteger = (text: string): boolean => {
  let index = text.charCodeAt(0) === 45 ? 1 : 0;
  const first = text.charCodeAt(index);
  // A leading zero ("007") or "-0" takes the careful path.
  if (index === text.length || first < 49 || first > 57) return text === '0';
  for (index++; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
};

const binary = (value: unknown): Uint8Array => {
  // Lambda's JSON event carries binary as base64; the SDK's stream client gives bytes.
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  if (value instanceof Uint8Array) return value;
  throw new MalformedAttributeError('B', 'binary must be base64 text or bytes');
};

const set = <T>(value: unknown, type: string, item: (entry: unknown) => T): Set<T> => {
  if (!Array.isArray(value)) throw new MalformedAttributeError(type, 'a set must be an array');
  const set = new Set<T>();
  for (let index = 0; index < value.length; index++) set.add(item(value[index]));
  return set;
};

const string = (value: unknown): string => {
  if (typeof value !== 'string') throw new MalformedAttributeError('S', 'must be a string');
  return value;
};

const number = (value: unknown): DecodedNumber => {
  if (typeof value !== 'string') throw new MalformedAttributeError('N', 'must be a string');
  return parseNumber(value);
};

const setAttribute = (target: Record<string, unknown>, name: string, value: unknown): void => {
  // An attribute named __proto__ must become data, not the object's prototype.
  if (name === '__proto__') {
    Object.defineProperty(target, name, { value, enumerable: true, writable: true });
  } else {
    target[name] = value;
  }
};

const withPath = (error: unknown, segment: string): never => {
  if (error instanceof MalformedAttributeError) {
    const path = error.path ? `${segment}.${error.path}` : segment;
    throw new MalformedAttributeError(path, error.detail, {
      cause: error.cause,
    });
  }
  throw new MalformedAttributeError(segment, String(error), { cause: error });
};

/** Converts one DynamoDB JSON attribute value to its JavaScript value (see {@link unmarshallImage}). */
export const attributeToNative = (attribute: unknown): unknown => {
  if (attribute === null || typeof attribute !== 'object') {
    throw new MalformedAttributeError('', 'an attribute value must be an object');
  }
  const value = attribute as Record<string, unknown>;
  // Probing the common types in turn beats enumerating the value's one key.
  let content = value.S;
  if (content !== undefined) return string(content);
  content = value.N;
  if (content !== undefined) return number(content);
  content = value.M;
  if (content !== undefined) return mapToNative(content);
  content = value.BOOL;
  if (content !== undefined) {
    if (typeof content !== 'boolean') throw new MalformedAttributeError('BOOL', 'not boolean');
    return content;
  }
  content = value.NULL;
  if (content !== undefined) {
    if (content !== true) throw new MalformedAttributeError('NULL', 'must be true');
    return null;
  }
  content = value.L;
  if (content !== undefined) return listToNative(content);
  content = value.SS;
  if (content !== undefined) return set(content, 'SS', string);
  content = value.NS;
  if (content !== undefined) return set(content, 'NS', number);
  content = value.B;
  if (content !== undefined) return binary(content);
  content = value.BS;
  if (content !== undefined) return set(content, 'BS', binary);
  // A type this decoder does not know: let the SDK decide, and report what it refuses.
  try {
    return convertToNative(value as never);
  } catch (error) {
    throw new MalformedAttributeError('', 'not a DynamoDB attribute value', { cause: error });
  }
};

const listToNative = (items: unknown): unknown[] => {
  if (!Array.isArray(items)) throw new MalformedAttributeError('L', 'must be an array');
  const out = new Array<unknown>(items.length);
  for (let index = 0; index < items.length; index++) {
    try {
      out[index] = attributeToNative(items[index]);
    } catch (error) {
      withPath(error, `L[${index}]`);
    }
  }
  return out;
};

const mapToNative = (map: unknown): Image => {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new MalformedAttributeError('', 'a map must be an object of attribute values');
  }
  const source = map as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name in source) {
    try {
      setAttribute(out, name, attributeToNative(source[name]));
    } catch (error) {
      withPath(error, name);
    }
  }
  return out;
};

/**
 * Unmarshalls a stream image (DynamoDB JSON) into a plain object: `S` → string, `N` → see
 * {@link parseNumber}, `B` → `Uint8Array` (from base64 or bytes), `SS`/`NS`/`BS` → `Set`,
 * `L` → array, `M` → object, `BOOL`, `NULL` → `null`. Results equal the SDK's
 * `unmarshall(image, { wrapNumbers: parseNumber })` with binary decoded; a property test
 * holds it to that. Throws {@link MalformedAttributeError} naming the attribute path.
 *
 * @example
 * unmarshallImage({ total: { N: '1250' }, tags: { SS: ['a'] } }) // { total: 1250, tags: Set {'a'} }
 */
export const unmarshallImage = (image: unknown): Image => mapToNative(image);
