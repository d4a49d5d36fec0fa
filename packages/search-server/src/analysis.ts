/** One token of analysed text: the term and where it came from. */
export interface Token {
  readonly term: string;
  readonly position: number;
  readonly start: number;
  readonly end: number;
}

// Approximates Lucene's StandardTokenizer (UAX #29 word breaks): runs of letters, digits and marks,
// kept together across `.` and `'` between word characters ("u.s.a", "example.com", "don't") and
// across `,` between digits ("1,000"). Scripts split per character by UAX #29 (Han, Hiragana) are
// not special-cased here.
const WORD = /[\p{L}\p{N}\p{M}_]+(?:(?:['’.]|(?<=\p{N}),(?=\p{N}))[\p{L}\p{N}\p{M}_]+)*/gu;
// Lucene's StandardTokenizer splits tokens longer than this.
const MAX_TOKEN_LENGTH = 255;

/** The standard analyzer: Unicode word split, then lower-casing. */
export const analyze = (text: string): Token[] => {
  const tokens: Token[] = [];
  let position = 0;
  for (const match of text.matchAll(WORD)) {
    const start = match.index;
    const raw = match[0];
    for (let offset = 0; offset < raw.length; offset += MAX_TOKEN_LENGTH) {
      const piece = raw.slice(offset, offset + MAX_TOKEN_LENGTH);
      tokens.push({
        term: piece.toLowerCase(),
        position: position++,
        start: start + offset,
        end: start + offset + piece.length,
      });
    }
  }
  return tokens;
};

/** The terms of {@link analyze}, without offsets: the cheap path used when indexing. */
export const analyzeTerms = (text: string): string[] => {
  const terms: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const raw = match[0];
    if (raw.length <= MAX_TOKEN_LENGTH) terms.push(raw.toLowerCase());
    else
      for (let offset = 0; offset < raw.length; offset += MAX_TOKEN_LENGTH)
        terms.push(raw.slice(offset, offset + MAX_TOKEN_LENGTH).toLowerCase());
  }
  return terms;
};
