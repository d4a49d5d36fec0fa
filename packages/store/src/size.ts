import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** DynamoDB's item size limit: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;

const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

/** Number size per DynamoDB: one byte per two significant digits, plus one. */
const numberBytes = (value: string): number => {
  const digits = value
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
};

/**
 * Bytes DynamoDB counts for one attribute value, following its published sizing rules
 * (strings and binaries by length, numbers by significant digits, 3 bytes of overhead per
 * list or map plus 1 per element).
 *
 * @example
 * attributeValueSize({ S: 'abc' }) // 3
 */
export const attributeValueSize = (value: AttributeValue): number => {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return value.L.reduce((sum, v) => sum + 1 + attributeValueSize(v), 3);
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce(
      (sum, [name, v]) => sum + 1 + utf8Bytes(name) + attributeValueSize(v),
      3,
    );
  }
  return 0;
};

/**
 * Bytes DynamoDB counts for a whole item: each attribute's name plus its value.
 *
 * @example
 * itemSize({ PK: { S: 'USER#1' } }) // 8
 */
export const itemSize = (item: Readonly<Record<string, AttributeValue>>): number =>
  Object.entries(item).reduce(
    (sum, [name, value]) => sum + utf8Bytes(name) + attributeValueSize(value),
    0,
  );
