import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calendarDaySchema, currencySchema, textSchema } from '../src/schemas.js';

const nameSchema = textSchema(200);
// Every character the policy refuses: C0, DEL and C1 controls, bidi embeddings, overrides and isolates.
const refused = [
  ...Array.from({ length: 0x20 }, (_, code) => code),
  ...Array.from({ length: 0x21 }, (_, offset) => 0x7f + offset),
  0x202a,
  0x202b,
  0x202c,
  0x202d,
  0x202e,
  0x2066,
  0x2067,
  0x2068,
  0x2069,
].map((code) => String.fromCharCode(code));

describe('the text policy', () => {
  it.each(
    refused.map((character) => [
      `U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
      character,
    ]),
  )('refuses %s, naming it and its position', (name, character) => {
    const result = nameSchema.safeParse(`Ada${character}Lovelace`);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain(`${name} at position 4`);
  });

  it('refuses a lone high or low surrogate and keeps a paired one', () => {
    expect(nameSchema.safeParse('Ada\uD83D').success).toBe(false);
    expect(nameSchema.safeParse('\uDE00Ada').success).toBe(false);
    expect(nameSchema.parse('Ada \uD83D\uDE00')).toBe('Ada 😀');
  });

  it('stores a decomposed name in NFC, trimmed, so both spellings are one string', () => {
    expect(nameSchema.parse(' Cafe\u0301 ')).toBe('Café');
    expect(nameSchema.parse('Café')).toBe(nameSchema.parse('Cafe\u0301'));
  });

  it('keeps text outside the refused ranges, such as a zero-width joiner or right-to-left script', () => {
    expect(nameSchema.parse('👩\u200D💻 שלום')).toBe('👩\u200D💻 שלום');
  });

  it('returns NFC text free of refused characters, or refuses, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (input) => {
        const result = nameSchema.safeParse(input);
        if (!result.success) return;
        expect(result.data).toBe(result.data.normalize('NFC'));
        expect(result.data).not.toMatch(/\p{Cs}/u);
        expect(refused.some((character) => result.data.includes(character))).toBe(false);
      }),
    );
  });

  it('counts the length after normalising', () => {
    expect(textSchema(4).safeParse('Cafe\u0301').success).toBe(true);
    expect(textSchema(4).safeParse('Cafés').success).toBe(false);
  });
});

describe('calendar days', () => {
  it.each(['2026-02-28', '2028-02-29', '2000-02-29', '0000-01-01', '9999-12-31'])(
    'accepts %s',
    (day) => {
      expect(calendarDaySchema.parse(day)).toBe(day);
    },
  );

  it.each([
    '2026-02-29',
    '2026-02-30',
    '1900-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-04-31',
    '99999-01-01',
    '2026-3-1',
    ' ',
    'garbage',
    '2026-03-01T00:00:00Z',
  ])('refuses %s', (day) => {
    expect(calendarDaySchema.safeParse(day).success).toBe(false);
  });

  it('accepts exactly the days a UTC date prints', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0000-01-01T00:00:00Z'),
          max: new Date('9999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (date) => {
          expect(calendarDaySchema.safeParse(date.toISOString().slice(0, 10)).success).toBe(true);
        },
      ),
    );
  });
});

describe('currency codes', () => {
  it.each(["';", 'eur', 'EURO', 'E1R', ''])('refuses %j', (code) => {
    expect(currencySchema.safeParse(code).success).toBe(false);
  });
});
