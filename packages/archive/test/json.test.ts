import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeToJson,
  fitsDouble,
  imageToJson,
  type Json,
  jsonToAttribute,
  jsonToImage,
  type RawAttributeValue,
} from '../src/json.js';

const canonicalNumber = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }).map(String),
  fc
    .tuple(fc.bigInt({ min: 1n, max: 10n ** 20n }), fc.integer({ min: 1, max: 18 }))
    .map(([digits, scale]) => {
      const text = digits.toString().padStart(scale + 1, '0');
      const decimal = `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '');
      return decimal.replace(/^0+(?=\d)/, '');
    }),
);

const attribute: fc.Arbitrary<RawAttributeValue> = fc.letrec<{ value: RawAttributeValue }>(
  (tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string().map((S) => ({ S })),
      canonicalNumber.map((N) => ({ N })),
      fc.boolean().map((BOOL) => ({ BOOL })),
      fc.constant({ NULL: true }),
      fc.uint8Array({ maxLength: 8 }).map((B) => ({ B: Buffer.from(B).toString('base64') })),
      fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 3 }).map((SS) => ({ SS })),
      fc.uniqueArray(canonicalNumber, { minLength: 1, maxLength: 3 }).map((NS) => ({ NS })),
      fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })),
      fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 3 }).map((M) => ({ M })),
    ),
  }),
).value;

const viaText = (json: Json): Json => JSON.parse(JSON.stringify(json)) as Json;

const normalize = (value: RawAttributeValue): unknown => {
  if (value.B !== undefined)
    return { B: Buffer.from(String(value.B), 'base64').toString('base64') };
  if (value.N !== undefined) return { N: value.N };
  if (value.L) return { L: value.L.map(normalize) };
  if (value.M)
    return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, normalize(v)])) };
  return value;
};

const fromSdk = (value: ReturnType<typeof jsonToAttribute>): RawAttributeValue => {
  if ('B' in value) return { B: Buffer.from(value.B).toString('base64') };
  if ('BS' in value) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if ('L' in value) return { L: value.L.map(fromSdk) };
  if ('M' in value)
    return { M: Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, fromSdk(v)])) };
  return value as RawAttributeValue;
};

describe('exact JSON for DynamoDB images', () => {
  it('round-trips any attribute value through JSON text without changing a digit', () => {
    fc.assert(
      fc.property(attribute, (value) => {
        const back = fromSdk(jsonToAttribute(viaText(attributeToJson(value))));
        expect(normalize(back)).toEqual(normalize(value));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps numbers a double reproduces as JSON numbers', () => {
    expect(
      imageToJson({ ttl: { N: '1790000000' }, price: { N: '12.5' }, tiny: { N: '0.1' } }),
    ).toEqual({
      ttl: 1_790_000_000,
      price: 12.5,
      tiny: 0.1,
    });
  });

  it('wraps numbers a double would round as their exact decimal text', () => {
    const json = imageToJson({
      big: { N: '12345678901234567890123456789012345678' },
      unsafe: { N: '9007199254740993' },
      fine: { N: '0.30000000000000000001' },
    });

    expect(json).toEqual({
      big: { $number: '12345678901234567890123456789012345678' },
      unsafe: { $number: '9007199254740993' },
      fine: { $number: '0.30000000000000000001' },
    });
    expect(jsonToImage(viaText(json) as { [key: string]: Json }).unsafe).toEqual({
      N: '9007199254740993',
    });
  });

  it('never lets a map that looks like a wrapper pass for one', () => {
    const image = { odd: { M: { $number: { S: 'not a number' } } } };

    const back = jsonToImage(viaText(imageToJson(image)) as { [key: string]: Json });

    expect(back.odd).toEqual({ M: { $number: { S: 'not a number' } } });
  });

  it('decides which decimals survive a double', () => {
    expect(fitsDouble('9007199254740991')).toBe(true);
    expect(fitsDouble('9007199254740993')).toBe(false);
    expect(fitsDouble('1.50')).toBe(true);
    expect(fitsDouble('1e21')).toBe(false);
    expect(fitsDouble('0.0000001')).toBe(false);
  });
});
