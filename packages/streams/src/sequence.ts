/**
 * Orders two stream sequence numbers: decimal strings of 21 to 40 digits, beyond any
 * JavaScript number. A shorter string (without leading zeros) is the smaller number.
 *
 * @example
 * compareSequenceNumbers('999', '1000') // -1
 */
export const compareSequenceNumbers = (a: string, b: string): -1 | 0 | 1 => {
  const left = stripZeros(a);
  const right = stripZeros(b);
  if (left.length !== right.length) return left.length < right.length ? -1 : 1;
  return left < right ? -1 : left > right ? 1 : 0;
};

const stripZeros = (digits: string): string => {
  let start = 0;
  while (start < digits.length - 1 && digits[start] === '0') start++;
  return start === 0 ? digits : digits.slice(start);
};

/** The lowest of some sequence numbers, or `undefined` when there are none. */
export const lowestSequenceNumber = (sequenceNumbers: Iterable<string>): string | undefined => {
  let lowest: string | undefined;
  for (const sequenceNumber of sequenceNumbers) {
    if (lowest === undefined || compareSequenceNumbers(sequenceNumber, lowest) < 0) {
      lowest = sequenceNumber;
    }
  }
  return lowest;
};

/** Whether a value is a sequence number: a non-empty string of decimal digits. */
export const isSequenceNumber = (value: unknown): value is string => {
  if (typeof value !== 'string' || value.length === 0) return false;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 48 || code > 57) return false;
  }
  return true;
};
