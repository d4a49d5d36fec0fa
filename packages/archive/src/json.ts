/**
 * Exact JSON for DynamoDB images. An archive is read by Athena, by `JSON.parse` and by
 * the restore, so every value must survive a trip through an ordinary JSON parser that
 * turns numbers into doubles:
 *
 * - a number whose decimal value a double reproduces (it prints back the same) is a
 *   plain JSON number;
 * - any other number is wrapped as `{ "$number": "<decimal>" }`, its exact DynamoDB text;
 * - binary is `{ "$binary": "<base64>" }`; sets are `{ "$stringSet" | "$numberSet" |
 *   "$binarySet": [...] }`, numbers in a set kept as strings;
 * - a map whose only key starts with `$` is wrapped as `{ "$map": {...} }`, so it can
 *   never be mistaken for one of the wrappers above.
 *
 * The conversion works from the stream's raw attribute values, not from an unmarshalled
 * image, so no decoder's number rule can round a value before it is archived.
 */

/** A DynamoDB attribute value as a stream record carries it (Lambda: binary as base64). */
export interface RawAttributeValue {
  S?: string;
  N?: string;
  B?: string | Uint8Array;
  SS?: string[];
  NS?: string[];
  BS?: (string | Uint8Array)[];
  M?: Record<string, RawAttributeValue>;
  L?: RawAttributeValue[];
  NULL?: boolean;
  BOOL?: boolean;
}

/** A raw DynamoDB image: attribute name to attribute value. */
export type RawImage = Record<string, RawAttributeValue>;

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** An attribute value as the SDK sends it: binary as bytes. */
export type SdkAttributeValue =
  | { S: string }
  | { N: string }
  | { B: Uint8Array }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Uint8Array[] }
  | { M: Record<string, SdkAttributeValue> }
  | { L: SdkAttributeValue[] }
  | { NULL: true }
  | { BOOL: boolean };

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** A decimal's value as `<sign><digits>e<exponent>` without redundant zeros, or undefined. */
const canonicalDecimal = (text: string): string | undefined => {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', integer = '', fraction = '', exponent = '0'] = match;
  if (integer === '' && fraction === '') return undefined;
  let digits = `${integer}${fraction}`.replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  if (digits === '') return '0';
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    power++;
  }
  return `${sign === '-' ? '-' : ''}${digits}e${power}`;
};

/**
 * Whether a DynamoDB number survives as a JSON number: a double prints back the same
 * decimal value, and without an exponent, which keeps the restored text plain.
 *
 * @example
 * fitsDouble('12.5') // true
 * fitsDouble('9007199254740993') // false
 */
export const fitsDouble = (text: string): boolean => {
  const value = Number(text);
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-6 || magnitude >= 1e21)) return false;
  const wanted = canonicalDecimal(text);
  return wanted !== undefined && wanted === canonicalDecimal(String(value));
};

const toBase64 = (value: string | Uint8Array): string =>
  typeof value === 'string' ? value : Buffer.from(value).toString('base64');

const numberToJson = (text: string): Json => (fitsDouble(text) ? Number(text) : { $number: text });

/**
 * Converts a raw attribute value to exact JSON (see the module comment for the rules).
 *
 * @example
 * attributeToJson({ N: '123456789012345678901234567890' }) // { $number: '123456789012345678901234567890' }
 */
export const attributeToJson = (value: RawAttributeValue): Json => {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return numberToJson(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.B !== undefined) return { $binary: toBase64(value.B) };
  if (value.L !== undefined) return value.L.map(attributeToJson);
  if (value.M !== undefined) return imageToJson(value.M);
  if (value.SS !== undefined) return { $stringSet: [...value.SS] };
  if (value.NS !== undefined) return { $numberSet: [...value.NS] };
  if (value.BS !== undefined) return { $binarySet: value.BS.map(toBase64) };
  throw new TypeError(`unsupported attribute value with keys ${Object.keys(value).join(',')}`);
};

/**
 * Converts a raw image to an exact JSON object.
 *
 * @example
 * imageToJson({ PK: { S: 'SESSION#s1' }, ttl: { N: '1700000000' } }) // { PK: 'SESSION#s1', ttl: 1700000000 }
 */
export const imageToJson = (image: RawImage): { [key: string]: Json } => {
  const entries = Object.entries(image);
  const object = Object.fromEntries(entries.map(([name, value]) => [name, attributeToJson(value)]));
  const [only] = entries;
  return entries.length === 1 && only![0].startsWith('$') ? { $map: object } : object;
};

const WRAPPERS = new Set(['$number', '$binary', '$stringSet', '$numberSet', '$binarySet', '$map']);

const mapFromJson = (object: { [key: string]: Json }): Record<string, SdkAttributeValue> =>
  Object.fromEntries(Object.entries(object).map(([name, value]) => [name, jsonToAttribute(value)]));

const fromBase64 = (value: Json): Uint8Array =>
  new Uint8Array(Buffer.from(String(value), 'base64'));

/**
 * Converts exact JSON back to an attribute value, the inverse of {@link attributeToJson}.
 *
 * @example
 * jsonToAttribute({ $number: '1.000000000000000001' }) // { N: '1.000000000000000001' }
 */
export const jsonToAttribute = (value: Json): SdkAttributeValue => {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(jsonToAttribute) };
  const keys = Object.keys(value);
  const [wrapper] = keys;
  if (keys.length === 1 && WRAPPERS.has(wrapper!)) {
    const inner = value[wrapper!]!;
    switch (wrapper) {
      case '$number':
        return { N: String(inner) };
      case '$binary':
        return { B: fromBase64(inner) };
      case '$stringSet':
        return { SS: (inner as Json[]).map(String) };
      case '$numberSet':
        return { NS: (inner as Json[]).map(String) };
      case '$binarySet':
        return { BS: (inner as Json[]).map(fromBase64) };
      default:
        return { M: mapFromJson(inner as { [key: string]: Json }) };
    }
  }
  return { M: mapFromJson(value) };
};

/**
 * Converts an exact JSON object back to an item for PutItem.
 *
 * @example
 * jsonToImage({ PK: 'SESSION#s1', ttl: 1700000000 }) // { PK: { S: 'SESSION#s1' }, ttl: { N: '1700000000' } }
 */
export const jsonToImage = (object: { [key: string]: Json }): Record<string, SdkAttributeValue> => {
  const attribute = jsonToAttribute(object);
  if ('M' in attribute) return attribute.M;
  throw new TypeError('an image must be a JSON object');
};
