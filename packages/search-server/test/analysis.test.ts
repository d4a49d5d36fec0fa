import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyze, analyzeTerms } from '../src/index.js';

describe('standard analyzer', () => {
  it('splits on Unicode word boundaries and lower-cases', () => {
    expect(analyzeTerms('Blue SHIRT, size-XL!')).toEqual(['blue', 'shirt', 'size', 'xl']);
    expect(analyzeTerms('Chloé Müller — Ærø')).toEqual(['chloé', 'müller', 'ærø']);
  });

  it('keeps words joined by an inner dot or apostrophe and digits joined by a comma, as UAX #29 does', () => {
    expect(analyzeTerms("don't visit example.com for 1,000 U.S.A. items")).toEqual([
      "don't",
      'visit',
      'example.com',
      'for',
      '1,000',
      'u.s.a',
      'items',
    ]);
  });

  it('splits an e-mail address at the @', () => {
    expect(analyzeTerms('alice.martin@example.com')).toEqual(['alice.martin', 'example.com']);
  });

  it('reports positions and offsets that point back into the text', () => {
    const text = 'Red  Wool socks';
    const tokens = analyze(text);
    expect(tokens.map((t) => t.position)).toEqual([0, 1, 2]);
    for (const token of tokens)
      expect(text.slice(token.start, token.end).toLowerCase()).toBe(token.term);
  });

  it('produces the same terms with and without offsets for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(analyze(text).map((t) => t.term)).toEqual(analyzeTerms(text));
      }),
    );
  });
});
