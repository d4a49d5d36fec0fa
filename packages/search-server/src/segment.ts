import type { FieldInfo, ParsedDoc } from './mapping.js';

/** Postings of one term in a text field. */
export interface TextPosting {
  readonly docs: number[];
  readonly freqs: number[];
}

/** Inverted index of one text field, with Lucene's one-byte length norms. */
export interface TextIndex {
  readonly kind: 'text';
  readonly postings: Map<string, TextPosting>;
  norms: Uint8Array;
  docCount: number;
  sumTotalTermFreq: number;
}

/** Postings and doc values of one keyword field. */
export interface KeywordIndex {
  readonly kind: 'keyword';
  readonly postings: Map<string, number[]>;
  /** The smallest value of each document (sort value ascending); `undefined` when missing. */
  readonly first: (string | undefined)[];
  /** Every value of documents with more than one. */
  readonly multi: Map<number, string[]>;
  /** Ordinal of each document's first value (-1 when missing), for counting without string hashing. */
  ords: Int32Array;
  /** The value of each ordinal. */
  readonly ordTerms: string[];
  readonly ordOf: Map<string, number>;
  docCount: number;
  sumDocFreq: number;
}

/** Doc values of one numeric, date or boolean field. */
export interface NumberIndex {
  readonly kind: 'number';
  /** The smallest value of each document; NaN when missing. */
  values: Float64Array;
  readonly multi: Map<number, number[]>;
  docCount: number;
}

/** Any per-field structure of a segment. */
export type FieldIndex = TextIndex | KeywordIndex | NumberIndex;

// Lucene's SmallFloat.intToByte4 / byte4ToInt: how BM25 stores a field length in one byte.
const longToInt4 = (i: number): number => {
  const numBits = 32 - Math.clz32(i);
  if (numBits < 4) return i;
  const shift = numBits - 4;
  return ((i >>> shift) & 0x07) | ((shift + 1) << 3);
};
const int4ToLong = (i: number): number => {
  const bits = i & 0x07;
  const shift = (i >>> 3) - 1;
  return shift === -1 ? bits : (bits | 0x08) * 2 ** shift;
};
const NUM_FREE_VALUES = 255 - longToInt4(2 ** 31 - 1);

/** Encodes a field length as Lucene's BM25 norm byte. */
export const encodeLength = (length: number): number =>
  length < NUM_FREE_VALUES ? length : NUM_FREE_VALUES + longToInt4(length - NUM_FREE_VALUES);

/** The field length a norm byte stands for (lossy above 23 tokens, as in Lucene). */
export const LENGTH_TABLE: Float64Array = Float64Array.from({ length: 256 }, (_, i) =>
  i < NUM_FREE_VALUES ? i : NUM_FREE_VALUES + int4ToLong(i - NUM_FREE_VALUES),
);

/** BM25 parameters OpenSearch uses by default. */
export const BM25 = { k1: 1.2, b: 0.75 } as const;

/** OpenSearch's BM25 idf: `ln(1 + (N - n + 0.5) / (n + 0.5))`. */
export const idf = (docCount: number, docFreq: number): number =>
  Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5));

/** Per-norm-byte denominators `k1 * (1 - b + b * dl / avgdl)` for one field. */
export const normCache = (avgdl: number): Float64Array =>
  Float64Array.from(
    LENGTH_TABLE,
    (length) => BM25.k1 * (1 - BM25.b + (BM25.b * length) / (avgdl || 1)),
  );

const grow = <T extends Uint8Array | Float64Array>(
  array: T,
  capacity: number,
  fill?: number,
): T => {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  if (fill !== undefined) next.fill(fill);
  next.set(array);
  return next;
};

/**
 * The searchable view of an index as of its last refresh: documents get increasing numbers,
 * an update adds a new number and marks the old one dead.
 */
export class Segment {
  maxDoc = 0;
  liveCount = 0;
  deletedCount = 0;
  private capacity = 1024;
  live = new Uint8Array(this.capacity);
  readonly ids: string[] = [];
  readonly sources: Record<string, unknown>[] = [];
  readonly idToDoc = new Map<string, number>();
  readonly fields = new Map<string, FieldIndex>();

  /** Adds one document (replacing any earlier one with the same id) and returns its number. */
  add(id: string, source: Record<string, unknown>, parsed: ParsedDoc): number {
    this.remove(id);
    if (this.maxDoc === this.capacity) this.growTo(this.capacity * 2);
    const doc = this.maxDoc++;
    this.live[doc] = 1;
    this.liveCount++;
    this.ids.push(id);
    this.sources.push(source);
    this.idToDoc.set(id, doc);
    for (const { info, values } of parsed) {
      if (values.length === 0) continue;
      const index = this.fieldIndex(info);
      if (index.kind === 'text') this.addText(index, doc, values as string[]);
      else if (index.kind === 'keyword') this.addKeyword(index, doc, values as string[]);
      else this.addNumbers(index, doc, values as number[]);
    }
    return doc;
  }

  /** Marks the document with this id dead. */
  remove(id: string): void {
    const doc = this.idToDoc.get(id);
    if (doc === undefined) return;
    this.idToDoc.delete(id);
    this.live[doc] = 0;
    this.liveCount--;
    this.deletedCount++;
    // Sources of dead documents are no longer read; drop them so memory follows live data.
    this.sources[doc] = {};
  }

  /** The structure of a field, if any document has indexed it. */
  field(path: string): FieldIndex | undefined {
    return this.fields.get(path);
  }

  private growTo(capacity: number): void {
    this.capacity = capacity;
    this.live = grow(this.live, capacity);
    for (const index of this.fields.values()) {
      if (index.kind === 'text') index.norms = grow(index.norms, capacity);
      else if (index.kind === 'number') index.values = grow(index.values, capacity, Number.NaN);
      else {
        const ords = new Int32Array(capacity).fill(-1);
        ords.set(index.ords);
        index.ords = ords;
      }
    }
  }

  private fieldIndex(info: FieldInfo): FieldIndex {
    let index = this.fields.get(info.path);
    if (index) return index;
    if (info.family === 'text')
      index = {
        kind: 'text',
        postings: new Map(),
        norms: new Uint8Array(this.capacity),
        docCount: 0,
        sumTotalTermFreq: 0,
      };
    else if (info.family === 'keyword')
      index = {
        kind: 'keyword',
        postings: new Map(),
        first: [],
        multi: new Map(),
        ords: new Int32Array(this.capacity).fill(-1),
        ordTerms: [],
        ordOf: new Map(),
        docCount: 0,
        sumDocFreq: 0,
      };
    else
      index = {
        kind: 'number',
        values: new Float64Array(this.capacity).fill(Number.NaN),
        multi: new Map(),
        docCount: 0,
      };
    this.fields.set(info.path, index);
    return index;
  }

  private addText(index: TextIndex, doc: number, terms: string[]): void {
    const freqs = new Map<string, number>();
    for (const term of terms) freqs.set(term, (freqs.get(term) ?? 0) + 1);
    for (const [term, freq] of freqs) {
      let posting = index.postings.get(term);
      if (!posting) {
        posting = { docs: [], freqs: [] };
        index.postings.set(term, posting);
      }
      posting.docs.push(doc);
      posting.freqs.push(freq);
    }
    index.norms[doc] = encodeLength(terms.length);
    index.docCount++;
    index.sumTotalTermFreq += terms.length;
  }

  private addKeyword(index: KeywordIndex, doc: number, values: string[]): void {
    for (const value of values) {
      let docs = index.postings.get(value);
      if (!docs) {
        docs = [];
        index.postings.set(value, docs);
      }
      if (docs[docs.length - 1] !== doc) {
        docs.push(doc);
        index.sumDocFreq++;
      }
    }
    while (index.first.length < doc) index.first.push(undefined);
    let first: string;
    if (values.length === 1) first = values[0]!;
    else {
      const sorted = [...new Set(values)].sort();
      first = sorted[0]!;
      if (sorted.length > 1) index.multi.set(doc, sorted);
    }
    index.first.push(first);
    let ord = index.ordOf.get(first);
    if (ord === undefined) {
      ord = index.ordTerms.length;
      index.ordTerms.push(first);
      index.ordOf.set(first, ord);
    }
    index.ords[doc] = ord;
    index.docCount++;
  }

  private addNumbers(index: NumberIndex, doc: number, values: number[]): void {
    if (values.length === 1) index.values[doc] = values[0]!;
    else {
      const sorted = [...values].sort((a, b) => a - b);
      index.values[doc] = sorted[0]!;
      index.multi.set(doc, sorted);
    }
    index.docCount++;
  }
}

/** Every value of a keyword field in one document. */
export const keywordValues = (index: KeywordIndex, doc: number): readonly string[] => {
  const many = index.multi.get(doc);
  if (many) return many;
  const one = index.first[doc];
  return one === undefined ? [] : [one];
};

/** Every value of a numeric field in one document. */
export const numberValues = (index: NumberIndex, doc: number): readonly number[] => {
  const many = index.multi.get(doc);
  if (many) return many;
  const one = index.values[doc]!;
  return Number.isNaN(one) ? [] : [one];
};
