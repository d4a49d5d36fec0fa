import { analyze, analyzeTerms } from './analysis.js';
import { resolveDateMath } from './dates.js';
import type { IndexState } from './engine.js';
import { OpenSearchApiError, parsingError, unsupported } from './errors.js';
import type { FieldInfo } from './mapping.js';
import {
  type FieldIndex,
  idf,
  type KeywordIndex,
  type NumberIndex,
  normCache,
  type Segment,
  type TextIndex,
} from './segment.js';

type Json = Record<string, unknown>;

/** A parsed query, independent of any index. */
export type Query =
  | { kind: 'match_all'; boost: number }
  | { kind: 'match_none' }
  | { kind: 'term'; field: string; value: unknown; boost: number; caseInsensitive: boolean }
  | { kind: 'terms'; field: string; values: unknown[]; boost: number }
  | { kind: 'range'; field: string; bounds: RangeBounds; format?: string; boost: number }
  | { kind: 'exists'; field: string; boost: number }
  | { kind: 'prefix'; field: string; value: string; boost: number; caseInsensitive: boolean }
  | { kind: 'ids'; values: string[]; boost: number }
  | {
      kind: 'match';
      field: string;
      query: unknown;
      operator: 'or' | 'and';
      minimumShouldMatch?: string;
      boost: number;
      zeroTermsAll: boolean;
    }
  | {
      kind: 'phrase';
      field: string;
      query: string;
      prefix: boolean;
      maxExpansions: number;
      boost: number;
    }
  | { kind: 'dis_max'; queries: Query[]; tieBreaker: number; boost: number; sum?: boolean }
  | {
      kind: 'bool';
      must: Query[];
      filter: Query[];
      should: Query[];
      mustNot: Query[];
      minimumShouldMatch?: string;
      boost: number;
    }
  | { kind: 'constant_score'; filter: Query; boost: number };

/** Range bounds after reading `gt`/`gte`/`lt`/`lte` or `from`/`to`. */
export interface RangeBounds {
  gt?: unknown;
  gte?: unknown;
  lt?: unknown;
  lte?: unknown;
}

const knownUnsupportedQueries = new Set([
  'fuzzy',
  'wildcard',
  'regexp',
  'query_string',
  'simple_query_string',
  'nested',
  'has_child',
  'has_parent',
  'parent_id',
  'geo_distance',
  'geo_bounding_box',
  'geo_polygon',
  'geo_shape',
  'script',
  'script_score',
  'function_score',
  'more_like_this',
  'span_term',
  'span_near',
  'span_or',
  'span_not',
  'span_first',
  'span_multi',
  'span_containing',
  'span_within',
  'field_masking_span',
  'terms_set',
  'distance_feature',
  'intervals',
  'combined_fields',
  'match_bool_prefix',
  'neural',
  'knn',
  'percolate',
  'rank_feature',
  'wrapper',
  'boosting',
  'pinned',
  'hybrid',
  'type',
]);

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asNumber = (value: unknown, name: string, query: string): number => {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw parsingError(`[${query}] failed to parse field [${name}]`);
  return n;
};

const checkParams = (query: string, body: Json, allowed: readonly string[]) => {
  for (const key of Object.keys(body)) {
    if (key === '_name') throw unsupported(`${query} query parameter _name (matched_queries)`);
    if (!allowed.includes(key)) {
      if (
        [
          'fuzziness',
          'analyzer',
          'slop',
          'rewrite',
          'time_zone',
          'relation',
          'auto_generate_synonyms_phrase_query',
          'fuzzy_transpositions',
          'prefix_length',
          'cutoff_frequency',
          'lenient',
          'quote_field_suffix',
          'type',
        ].includes(key)
      )
        throw unsupported(`${query} query parameter ${key}`);
      throw parsingError(`[${query}] query does not support [${key}]`);
    }
  }
};

/** `{ field: value }` or `{ field: { value, ...params } }`: the shape of single-field queries. */
const singleField = (query: string, body: unknown, valueKey: string): [string, Json] => {
  if (!isObject(body))
    throw parsingError(`[${query}] query malformed, no start_object after query name`);
  const keys = Object.keys(body).filter((key) => key !== 'boost' && key !== '_name');
  if (keys.length !== 1)
    throw parsingError(
      `[${query}] query doesn't support multiple fields, found [${keys.join('] and [')}]`,
    );
  const field = keys[0]!;
  const raw = body[field];
  const params = isObject(raw) ? { ...raw } : { [valueKey]: raw };
  if (body.boost !== undefined) params.boost ??= body.boost;
  return [field, params];
};

const clauses = (value: unknown): Query[] => {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((clause) => parseQuery(clause));
};

const boostOf = (body: Json, query: string): number =>
  body.boost === undefined ? 1 : asNumber(body.boost, 'boost', query);

/** Parses the `query` of a search body; unknown or unsupported queries are a 400. */
export const parseQuery = (raw: unknown): Query => {
  if (!isObject(raw)) throw parsingError('query malformed, must start with start_object');
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    if (keys.length === 0) throw parsingError('query malformed, empty clause found');
    throw parsingError(
      `[${keys[0]}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]`,
    );
  }
  const type = keys[0]!;
  const body = raw[type];
  switch (type) {
    case 'match_all': {
      const params = isObject(body) ? body : {};
      checkParams(type, params, ['boost']);
      return { kind: 'match_all', boost: boostOf(params, type) };
    }
    case 'match_none':
      return { kind: 'match_none' };
    case 'term': {
      const [field, params] = singleField(type, body, 'value');
      checkParams(type, params, ['value', 'boost', 'case_insensitive']);
      if (params.value === undefined || isObject(params.value) || Array.isArray(params.value))
        throw parsingError(`[term] query does not support array of values`);
      return {
        kind: 'term',
        field,
        value: params.value,
        boost: boostOf(params, type),
        caseInsensitive: params.case_insensitive === true,
      };
    }
    case 'terms': {
      if (!isObject(body)) throw parsingError('[terms] query malformed');
      const fields = Object.keys(body).filter((key) => key !== 'boost' && key !== '_name');
      if (fields.length !== 1) throw parsingError('[terms] query requires exactly one field');
      const values = body[fields[0]!];
      if (isObject(values)) throw unsupported('terms lookup');
      if (!Array.isArray(values))
        throw parsingError(`[terms] query does not support [${fields[0]}]`);
      if (body._name !== undefined) throw unsupported('terms query parameter _name');
      return { kind: 'terms', field: fields[0]!, values, boost: boostOf(body, type) };
    }
    case 'range': {
      const [field, params] = singleField(type, body, 'value');
      checkParams(type, params, [
        'gt',
        'gte',
        'lt',
        'lte',
        'from',
        'to',
        'include_lower',
        'include_upper',
        'format',
        'boost',
      ]);
      const bounds: RangeBounds = {};
      if (params.gt !== undefined) bounds.gt = params.gt;
      if (params.gte !== undefined) bounds.gte = params.gte;
      if (params.lt !== undefined) bounds.lt = params.lt;
      if (params.lte !== undefined) bounds.lte = params.lte;
      if (params.from !== undefined && params.from !== null) {
        if (params.include_lower === false) bounds.gt = params.from;
        else bounds.gte = params.from;
      }
      if (params.to !== undefined && params.to !== null) {
        if (params.include_upper === false) bounds.lt = params.to;
        else bounds.lte = params.to;
      }
      return {
        kind: 'range',
        field,
        bounds,
        ...(typeof params.format === 'string' ? { format: params.format } : {}),
        boost: boostOf(params, type),
      };
    }
    case 'exists': {
      if (!isObject(body) || typeof body.field !== 'string')
        throw parsingError('[exists] must be provided with a [field]');
      checkParams(type, body, ['field', 'boost']);
      return { kind: 'exists', field: body.field, boost: boostOf(body, type) };
    }
    case 'prefix': {
      const [field, params] = singleField(type, body, 'value');
      checkParams(type, params, ['value', 'boost', 'case_insensitive']);
      return {
        kind: 'prefix',
        field,
        value: String(params.value),
        boost: boostOf(params, type),
        caseInsensitive: params.case_insensitive === true,
      };
    }
    case 'ids': {
      if (!isObject(body) || !Array.isArray(body.values))
        throw parsingError('[ids] query malformed, [values] must be an array');
      checkParams(type, body, ['values', 'boost']);
      return { kind: 'ids', values: body.values.map(String), boost: boostOf(body, type) };
    }
    case 'match': {
      const [field, params] = singleField(type, body, 'query');
      checkParams(type, params, [
        'query',
        'operator',
        'minimum_should_match',
        'boost',
        'zero_terms_query',
      ]);
      return parseMatch(field, params);
    }
    case 'match_phrase':
    case 'match_phrase_prefix': {
      const [field, params] = singleField(type, body, 'query');
      if (params.slop !== undefined && Number(params.slop) !== 0)
        throw unsupported(`${type} with slop`);
      delete params.slop;
      checkParams(
        type,
        params,
        type === 'match_phrase' ? ['query', 'boost'] : ['query', 'boost', 'max_expansions'],
      );
      return {
        kind: 'phrase',
        field,
        query: String(params.query),
        prefix: type === 'match_phrase_prefix',
        maxExpansions:
          params.max_expansions === undefined
            ? 50
            : asNumber(params.max_expansions, 'max_expansions', type),
        boost: boostOf(params, type),
      };
    }
    case 'multi_match':
      return parseMultiMatch(body);
    case 'bool': {
      if (!isObject(body)) throw parsingError('[bool] query malformed');
      checkParams(type, body, [
        'must',
        'filter',
        'should',
        'must_not',
        'minimum_should_match',
        'boost',
        'adjust_pure_negative',
      ]);
      return {
        kind: 'bool',
        must: clauses(body.must),
        filter: clauses(body.filter),
        should: clauses(body.should),
        mustNot: clauses(body.must_not),
        ...(body.minimum_should_match !== undefined
          ? { minimumShouldMatch: String(body.minimum_should_match) }
          : {}),
        boost: boostOf(body, type),
      };
    }
    case 'constant_score': {
      if (!isObject(body) || body.filter === undefined)
        throw parsingError("[constant_score] requires a 'filter' element");
      checkParams(type, body, ['filter', 'boost']);
      return {
        kind: 'constant_score',
        filter: parseQuery(body.filter),
        boost: boostOf(body, type),
      };
    }
    case 'dis_max': {
      if (!isObject(body) || !Array.isArray(body.queries))
        throw parsingError("[dis_max] requires 'queries' field");
      checkParams(type, body, ['queries', 'tie_breaker', 'boost']);
      return {
        kind: 'dis_max',
        queries: body.queries.map((q) => parseQuery(q)),
        tieBreaker:
          body.tie_breaker === undefined ? 0 : asNumber(body.tie_breaker, 'tie_breaker', type),
        boost: boostOf(body, type),
      };
    }
    default:
      if (knownUnsupportedQueries.has(type)) throw unsupported(`query ${type}`);
      throw parsingError(`unknown query [${type}]`);
  }
};

const parseMatch = (field: string, params: Json): Query => {
  const operator = String(params.operator ?? 'or').toLowerCase();
  if (operator !== 'or' && operator !== 'and')
    throw new OpenSearchApiError(
      400,
      'illegal_argument_exception',
      `No enum constant for operator [${operator}]`,
    );
  if (params.query === undefined || params.query === null || isObject(params.query))
    throw parsingError('[match] requires query value');
  const zero = String(params.zero_terms_query ?? 'none').toLowerCase();
  return {
    kind: 'match',
    field,
    query: params.query,
    operator,
    ...(params.minimum_should_match !== undefined
      ? { minimumShouldMatch: String(params.minimum_should_match) }
      : {}),
    boost: boostOf(params, 'match'),
    zeroTermsAll: zero === 'all',
  };
};

const parseMultiMatch = (body: unknown): Query => {
  if (!isObject(body)) throw parsingError('[multi_match] query malformed');
  checkParams('multi_match', body, [
    'query',
    'fields',
    'type',
    'operator',
    'minimum_should_match',
    'tie_breaker',
    'boost',
    'zero_terms_query',
    'max_expansions',
  ]);
  if (body.query === undefined) throw parsingError('No text specified for multi_match query');
  if (!Array.isArray(body.fields) && typeof body.fields !== 'string')
    throw unsupported('multi_match without fields (index.query.default_field)');
  const type = String(body.type ?? 'best_fields');
  if (!['best_fields', 'most_fields', 'phrase', 'phrase_prefix'].includes(type))
    throw unsupported(`multi_match type ${type}`);
  const fields = (Array.isArray(body.fields) ? body.fields : [body.fields]).map((spec) => {
    const [name, boost] = String(spec).split('^');
    return {
      name: name!,
      boost: boost === undefined ? 1 : asNumber(boost, 'fields', 'multi_match'),
    };
  });
  const queries: Query[] = fields.map(({ name, boost }) =>
    type === 'phrase' || type === 'phrase_prefix'
      ? {
          kind: 'phrase',
          field: name,
          query: String(body.query),
          prefix: type === 'phrase_prefix',
          maxExpansions: body.max_expansions === undefined ? 50 : Number(body.max_expansions),
          boost,
        }
      : parseMatch(name, {
          ...body,
          boost,
          fields: undefined,
          type: undefined,
          tie_breaker: undefined,
        }),
  );
  return {
    kind: 'dis_max',
    queries,
    tieBreaker:
      body.tie_breaker === undefined ? 0 : asNumber(body.tie_breaker, 'tie_breaker', 'multi_match'),
    boost: boostOf(body, 'multi_match'),
    ...(type === 'most_fields' ? { sum: true } : {}),
  };
};

/** Matching documents of one segment, with scores when scoring. */
export interface DocSet {
  readonly match: Uint8Array;
  readonly scores: Float64Array | null;
}

/** Everything query evaluation needs besides the query. */
export interface EvalContext {
  readonly index: IndexState;
  readonly segment: Segment;
  readonly now: number;
}

const empty = (ctx: EvalContext, scoring: boolean): DocSet => ({
  match: new Uint8Array(ctx.segment.maxDoc),
  scores: scoring ? new Float64Array(ctx.segment.maxDoc) : null,
});

const constant = (set: DocSet, boost: number): DocSet => {
  if (set.scores)
    for (let d = 0; d < set.match.length; d++) set.scores[d] = set.match[d] ? boost : 0;
  return set;
};

/** `minimum_should_match` applied to `count` optional clauses. */
export const minimumShouldMatch = (spec: string, count: number): number => {
  const text = spec.trim();
  let result: number;
  if (text.endsWith('%')) {
    const pct = Number(text.slice(0, -1));
    if (!Number.isFinite(pct)) throw unsupported(`minimum_should_match [${spec}]`);
    result = pct < 0 ? count + Math.trunc((count * pct) / 100) : Math.trunc((count * pct) / 100);
  } else {
    const n = Number(text);
    if (!Number.isInteger(n)) throw unsupported(`minimum_should_match [${spec}]`);
    result = n < 0 ? count + n : n;
  }
  return Math.max(0, result);
};

const fieldInfo = (ctx: EvalContext, path: string): FieldInfo | undefined =>
  ctx.index.mapping.field(path);

const queryShardError = (reason: string) =>
  new OpenSearchApiError(400, 'query_shard_exception', reason, { index: '' });

/** Converts a query value to the numeric doc value of a number, date or boolean field. */
const numericValue = (
  info: FieldInfo,
  value: unknown,
  ctx: EvalContext,
  roundUp = false,
  format?: string,
): number => {
  if (info.type === 'date') {
    const formats = format ? format.split('||') : info.formats;
    return resolveDateMath(value, formats as never, ctx.now, roundUp);
  }
  if (info.type === 'boolean') {
    if (value === true || value === 'true') return 1;
    if (value === false || value === 'false') return 0;
    throw queryShardError(
      `Can't parse boolean value [${String(value)}], expected [true] or [false]`,
    );
  }
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(n))
    throw queryShardError(`failed to create query: For input string: "${String(value)}"`);
  return n;
};

const scanNumbers = (
  index: NumberIndex | undefined,
  ctx: EvalContext,
  set: DocSet,
  test: (v: number) => boolean,
) => {
  if (!index) return;
  const { live } = ctx.segment;
  const { values, multi } = index;
  for (let d = 0; d < ctx.segment.maxDoc; d++) {
    if (!live[d]) continue;
    const v = values[d]!;
    if (Number.isNaN(v)) continue;
    if (multi.size > 0 && multi.has(d)) {
      if (multi.get(d)!.some(test)) set.match[d] = 1;
    } else if (test(v)) set.match[d] = 1;
  }
};

const keywordTermScore = (index: KeywordIndex, docFreq: number, boost: number): number => {
  const avgdl = index.sumDocFreq / index.docCount;
  const weight = boost * idf(index.docCount, docFreq);
  return weight / (1 + 1.2 * (1 - 0.75 + (0.75 * 1) / avgdl));
};

/** Adds the BM25 scores of one text term; returns how many documents matched. */
const scoreTextTerm = (
  index: TextIndex,
  term: string,
  boost: number,
  ctx: EvalContext,
  set: DocSet,
  counts?: Uint16Array,
): void => {
  const posting = index.postings.get(term);
  if (!posting) return;
  const { live } = ctx.segment;
  const weight = boost * idf(index.docCount, posting.docs.length);
  const cache = normCache(index.sumTotalTermFreq / index.docCount);
  const { docs, freqs } = posting;
  const { norms } = index;
  const scores = set.scores;
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i]!;
    if (!live[d]) continue;
    set.match[d] = 1;
    if (counts) counts[d]!++;
    if (scores) {
      const f = freqs[i]!;
      scores[d]! += (weight * f) / (f + cache[norms[d]!]!);
    }
  }
};

const keywordTerm = (
  index: KeywordIndex | undefined,
  value: string,
  boost: number,
  ctx: EvalContext,
  set: DocSet,
  counts?: Uint16Array,
): void => {
  const docs = index?.postings.get(value);
  if (!index || !docs) return;
  const { live } = ctx.segment;
  const score = set.scores ? keywordTermScore(index, docs.length, boost) : 0;
  for (const d of docs) {
    if (!live[d]) continue;
    set.match[d] = 1;
    if (counts) counts[d]!++;
    if (set.scores) set.scores[d]! += score;
  }
};

const termsMatching = (
  index: TextIndex | KeywordIndex,
  test: (term: string) => boolean,
): string[] => {
  const out: string[] = [];
  for (const term of index.postings.keys()) if (test(term)) out.push(term);
  return out;
};

const markTerms = (
  index: FieldIndex | undefined,
  terms: readonly string[],
  ctx: EvalContext,
  set: DocSet,
) => {
  if (!index || index.kind === 'number') return;
  const { live } = ctx.segment;
  for (const term of terms) {
    const posting = index.postings.get(term);
    if (!posting) continue;
    const docs =
      index.kind === 'text' ? (posting as { docs: number[] }).docs : (posting as number[]);
    for (const d of docs) if (live[d]) set.match[d] = 1;
  }
};

/** Values of a path in a source document; arrays and arrays of objects are flattened. */
export const sourceValues = (source: unknown, path: string): unknown[] => {
  let current: unknown[] = [source];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const value of current) {
      if (Array.isArray(value)) {
        for (const item of value.flat(Infinity))
          if (isObject(item) && item[part] !== undefined) next.push(item[part]);
      } else if (isObject(value) && value[part] !== undefined) next.push(value[part]);
    }
    current = next;
  }
  return current
    .flatMap((value) => (Array.isArray(value) ? value.flat(Infinity) : [value]))
    .filter((v) => v !== null);
};

/** Counts phrase occurrences of `terms` in a text; the last position may match any of `lastTerms`. */
const phraseFrequency = (
  values: unknown[],
  terms: string[],
  lastTerms: Set<string> | undefined,
): number => {
  let freq = 0;
  for (const value of values) {
    const tokens = analyzeTerms(String(value));
    outer: for (let i = 0; i + terms.length <= tokens.length; i++) {
      for (let j = 0; j < terms.length; j++) {
        const token = tokens[i + j]!;
        const isLast = j === terms.length - 1;
        if (isLast && lastTerms ? !lastTerms.has(token) : token !== terms[j]) continue outer;
      }
      freq++;
    }
  }
  return freq;
};

const evaluatePhrase = (
  q: Extract<Query, { kind: 'phrase' }>,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const set = empty(ctx, scoring);
  const info = fieldInfo(ctx, q.field);
  if (!info) return set;
  if (info.family !== 'text') {
    if (q.prefix)
      return evaluate(
        { kind: 'prefix', field: q.field, value: q.query, boost: q.boost, caseInsensitive: false },
        ctx,
        scoring,
      );
    return evaluate(
      { kind: 'term', field: q.field, value: q.query, boost: q.boost, caseInsensitive: false },
      ctx,
      scoring,
    );
  }
  const index = ctx.segment.field(q.field) as TextIndex | undefined;
  const terms = analyzeTerms(q.query);
  if (!index || terms.length === 0) return set;
  let expansions: Set<string> | undefined;
  if (q.prefix) {
    const last = terms[terms.length - 1]!;
    const found = termsMatching(index, (term) => term.startsWith(last))
      .sort()
      .slice(0, q.maxExpansions);
    if (found.length === 0) return set;
    expansions = new Set(found);
  }
  const fixed = expansions ? terms.slice(0, -1) : terms;
  // Candidates hold every fixed term (and one expansion); positions are then checked on the source.
  const counts = new Uint16Array(ctx.segment.maxDoc);
  const probe = empty(ctx, false);
  const uniqueFixed = [...new Set(fixed)];
  for (const term of uniqueFixed) scoreTextTerm(index, term, 1, ctx, probe, counts);
  let required = uniqueFixed.length;
  if (expansions) {
    const lastMatch = empty(ctx, false);
    markTerms(index, [...expansions], ctx, lastMatch);
    for (let d = 0; d < counts.length; d++) if (lastMatch.match[d]) counts[d]!++;
    required++;
  }
  let weight = 0;
  for (const term of [...uniqueFixed, ...(expansions ?? [])]) {
    const posting = index.postings.get(term);
    if (posting) weight += idf(index.docCount, posting.docs.length);
  }
  weight *= q.boost;
  const cache = normCache(index.sumTotalTermFreq / index.docCount);
  const { sources } = ctx.segment;
  // A one-position phrase needs no position check: its frequency is the sum of its terms' frequencies.
  const single =
    terms.length === 1 ? [...(expansions ?? terms)].map((t) => index.postings.get(t)) : undefined;
  const singleFreq = single ? new Uint32Array(ctx.segment.maxDoc) : undefined;
  if (single && singleFreq)
    for (const posting of single) {
      if (!posting) continue;
      for (let i = 0; i < posting.docs.length; i++)
        singleFreq[posting.docs[i]!]! += posting.freqs[i]!;
    }
  for (let d = 0; d < counts.length; d++) {
    if (counts[d] !== required) continue;
    const freq = singleFreq
      ? singleFreq[d]!
      : phraseFrequency(sourceValues(sources[d], info.sourcePath), terms, expansions);
    if (freq === 0) continue;
    set.match[d] = 1;
    if (set.scores) set.scores[d] = (weight * freq) / (freq + cache[index.norms[d]!]!);
  }
  return set;
};

const evaluateMatch = (
  q: Extract<Query, { kind: 'match' }>,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const info = fieldInfo(ctx, q.field);
  if (!info) return empty(ctx, scoring);
  if (info.family !== 'text') {
    // Keyword and numeric fields analyse the whole query text as one term.
    return evaluate(
      { kind: 'term', field: q.field, value: q.query, boost: q.boost, caseInsensitive: false },
      ctx,
      scoring,
    );
  }
  const terms = analyzeTerms(String(q.query));
  if (terms.length === 0)
    return q.zeroTermsAll
      ? evaluate({ kind: 'match_all', boost: q.boost }, ctx, scoring)
      : empty(ctx, scoring);
  const set = empty(ctx, scoring);
  const index = ctx.segment.field(q.field) as TextIndex | undefined;
  if (!index) return set;
  const required =
    q.operator === 'and'
      ? terms.length
      : q.minimumShouldMatch !== undefined
        ? minimumShouldMatch(q.minimumShouldMatch, terms.length)
        : 1;
  if (required > terms.length) return empty(ctx, scoring);
  if (terms.length === 1 || required <= 1) {
    for (const term of terms) scoreTextTerm(index, term, q.boost, ctx, set);
    return set;
  }
  const counts = new Uint16Array(ctx.segment.maxDoc);
  for (const term of terms) scoreTextTerm(index, term, q.boost, ctx, set, counts);
  for (let d = 0; d < counts.length; d++)
    if (set.match[d] && counts[d]! < required) {
      set.match[d] = 0;
      if (set.scores) set.scores[d] = 0;
    }
  return set;
};

const evaluateTerm = (
  field: string,
  value: unknown,
  boost: number,
  caseInsensitive: boolean,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const set = empty(ctx, scoring);
  if (field === '_id')
    return evaluate({ kind: 'ids', values: [String(value)], boost }, ctx, scoring);
  const info = fieldInfo(ctx, field);
  if (!info) return set;
  if (!info.indexed)
    throw queryShardError(
      `failed to create query: Cannot search on field [${field}] since it is not indexed.`,
    );
  const index = ctx.segment.field(field);
  if (info.family === 'number') {
    const target = numericValue(info, value, ctx);
    scanNumbers(index as NumberIndex | undefined, ctx, set, (v) => v === target);
    return constant(set, boost);
  }
  const text = String(value);
  if (caseInsensitive) {
    if (index && index.kind !== 'number')
      markTerms(
        index,
        termsMatching(index, (t) => t.toLowerCase() === text.toLowerCase()),
        ctx,
        set,
      );
    return constant(set, boost);
  }
  if (info.family === 'text') {
    if (index) scoreTextTerm(index as TextIndex, text, boost, ctx, set);
    return set;
  }
  keywordTerm(index as KeywordIndex | undefined, text, boost, ctx, set);
  return set;
};

const evaluateRange = (
  q: Extract<Query, { kind: 'range' }>,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const set = empty(ctx, scoring);
  const info = fieldInfo(ctx, q.field);
  if (!info) return set;
  const index = ctx.segment.field(q.field);
  const { gt, gte, lt, lte } = q.bounds;
  if (info.family === 'number') {
    const lo =
      gt !== undefined
        ? numericValue(info, gt, ctx, true, q.format)
        : gte !== undefined
          ? numericValue(info, gte, ctx, false, q.format)
          : -Infinity;
    const hi =
      lt !== undefined
        ? numericValue(info, lt, ctx, false, q.format)
        : lte !== undefined
          ? numericValue(info, lte, ctx, true, q.format)
          : Infinity;
    const loStrict = gt !== undefined;
    const hiStrict = lt !== undefined;
    scanNumbers(
      index as NumberIndex | undefined,
      ctx,
      set,
      (v) => (loStrict ? v > lo : v >= lo) && (hiStrict ? v < hi : v <= hi),
    );
    return constant(set, q.boost);
  }
  if (!index || index.kind === 'number') return set;
  const s = (v: unknown) => (v === undefined ? undefined : String(v));
  const [a, ae, b, be] = [s(gt), s(gte), s(lt), s(lte)];
  markTerms(
    index,
    termsMatching(
      index,
      (t) =>
        (a === undefined || t > a) &&
        (ae === undefined || t >= ae) &&
        (b === undefined || t < b) &&
        (be === undefined || t <= be),
    ),
    ctx,
    set,
  );
  return constant(set, q.boost);
};

const existsIn = (index: FieldIndex, d: number): boolean =>
  index.kind === 'text'
    ? index.norms[d] !== 0
    : index.kind === 'keyword'
      ? index.first[d] !== undefined
      : !Number.isNaN(index.values[d]!);

const evaluateExists = (
  q: Extract<Query, { kind: 'exists' }>,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const set = empty(ctx, scoring);
  const prefix = `${q.field}.`;
  const indexes = [...ctx.segment.fields]
    .filter(
      ([path]) =>
        path === q.field || (ctx.index.mapping.objectKind(q.field) && path.startsWith(prefix)),
    )
    .map(([, index]) => index);
  const { live, maxDoc } = ctx.segment;
  for (let d = 0; d < maxDoc; d++)
    if (live[d] && indexes.some((index) => existsIn(index, d))) set.match[d] = 1;
  return constant(set, q.boost);
};

const combineDisMax = (
  q: Extract<Query, { kind: 'dis_max' }>,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const set = empty(ctx, scoring);
  const max = scoring ? new Float64Array(ctx.segment.maxDoc) : null;
  for (const sub of q.queries) {
    const r = evaluate(sub, ctx, scoring);
    for (let d = 0; d < r.match.length; d++) {
      if (!r.match[d]) continue;
      set.match[d] = 1;
      if (set.scores && r.scores && max) {
        const s = r.scores[d]!;
        set.scores[d]! += s;
        if (s > max[d]!) max[d] = s;
      }
    }
  }
  if (set.scores && max) {
    for (let d = 0; d < max.length; d++) {
      if (!set.match[d]) continue;
      const combined = q.sum ? set.scores[d]! : max[d]! + q.tieBreaker * (set.scores[d]! - max[d]!);
      set.scores[d] = combined * q.boost;
    }
  }
  return set;
};

const evaluateBool = (
  q: Extract<Query, { kind: 'bool' }>,
  ctx: EvalContext,
  scoring: boolean,
): DocSet => {
  const { maxDoc, live } = ctx.segment;
  const match = new Uint8Array(maxDoc);
  match.set(live.subarray(0, maxDoc));
  const scores = scoring ? new Float64Array(maxDoc) : null;
  const and = (r: DocSet, addScores: boolean) => {
    for (let d = 0; d < maxDoc; d++) {
      if (!r.match[d]) match[d] = 0;
      else if (addScores && scores && r.scores) scores[d]! += r.scores[d]!;
    }
  };
  for (const clause of q.must) and(evaluate(clause, ctx, scoring), true);
  for (const clause of q.filter) and(evaluate(clause, ctx, false), false);
  for (const clause of q.mustNot) {
    const r = evaluate(clause, ctx, false);
    for (let d = 0; d < maxDoc; d++) if (r.match[d]) match[d] = 0;
  }
  if (q.should.length > 0) {
    const defaultMinimum = q.must.length === 0 && q.filter.length === 0 ? 1 : 0;
    const required =
      q.minimumShouldMatch !== undefined
        ? minimumShouldMatch(q.minimumShouldMatch, q.should.length)
        : defaultMinimum;
    if (required > q.should.length) return empty(ctx, scoring);
    const counts = required > 0 ? new Uint16Array(maxDoc) : null;
    for (const clause of q.should) {
      const r = evaluate(clause, ctx, scoring);
      for (let d = 0; d < maxDoc; d++) {
        if (!r.match[d]) continue;
        if (counts) counts[d]!++;
        if (scores && r.scores) scores[d]! += r.scores[d]!;
      }
    }
    if (counts) for (let d = 0; d < maxDoc; d++) if (counts[d]! < required) match[d] = 0;
  }
  if (scores) for (let d = 0; d < maxDoc; d++) scores[d] = match[d] ? scores[d]! * q.boost : 0;
  return { match, scores };
};

/** Evaluates a query on the searchable segment of one index. */
export const evaluate = (q: Query, ctx: EvalContext, scoring: boolean): DocSet => {
  switch (q.kind) {
    case 'match_all': {
      const set = empty(ctx, scoring);
      set.match.set(ctx.segment.live.subarray(0, ctx.segment.maxDoc));
      return constant(set, q.boost);
    }
    case 'match_none':
      return empty(ctx, scoring);
    case 'term':
      return evaluateTerm(q.field, q.value, q.boost, q.caseInsensitive, ctx, scoring);
    case 'terms': {
      const set = empty(ctx, scoring);
      if (q.field === '_id')
        return evaluate(
          { kind: 'ids', values: q.values.map(String), boost: q.boost },
          ctx,
          scoring,
        );
      const info = fieldInfo(ctx, q.field);
      if (!info) return set;
      const index = ctx.segment.field(q.field);
      if (info.family === 'number') {
        const targets = new Set(q.values.map((v) => numericValue(info, v, ctx)));
        scanNumbers(index as NumberIndex | undefined, ctx, set, (v) => targets.has(v));
      } else markTerms(index, q.values.map(String), ctx, set);
      return constant(set, q.boost);
    }
    case 'range':
      return evaluateRange(q, ctx, scoring);
    case 'exists':
      return evaluateExists(q, ctx, scoring);
    case 'prefix': {
      const set = empty(ctx, scoring);
      const index = ctx.segment.field(q.field);
      const info = fieldInfo(ctx, q.field);
      if (!info || !index || index.kind === 'number') {
        if (info?.family === 'number')
          throw queryShardError(
            `Can only use prefix queries on keyword and text fields - not on [${q.field}] which is of type [${info.type}]`,
          );
        return set;
      }
      const prefix = q.caseInsensitive ? q.value.toLowerCase() : q.value;
      markTerms(
        index,
        termsMatching(index, (t) => (q.caseInsensitive ? t.toLowerCase() : t).startsWith(prefix)),
        ctx,
        set,
      );
      return constant(set, q.boost);
    }
    case 'ids': {
      const set = empty(ctx, scoring);
      for (const id of q.values) {
        const d = ctx.segment.idToDoc.get(id);
        if (d !== undefined) set.match[d] = 1;
      }
      return constant(set, q.boost);
    }
    case 'match':
      return evaluateMatch(q, ctx, scoring);
    case 'phrase':
      return evaluatePhrase(q, ctx, scoring);
    case 'dis_max':
      return combineDisMax(q, ctx, scoring);
    case 'bool':
      return evaluateBool(q, ctx, scoring);
    case 'constant_score':
      return constant(
        {
          match: evaluate(q.filter, ctx, false).match,
          scores: scoring ? new Float64Array(ctx.segment.maxDoc) : null,
        },
        q.boost,
      );
  }
};

/** The terms a query looks for in one field, for highlighting. */
export const highlightTerms = (
  q: Query,
  field: string,
  out: { terms: Set<string>; prefixes: string[] } = { terms: new Set(), prefixes: [] },
) => {
  switch (q.kind) {
    case 'match':
    case 'phrase':
      if (q.field === field) {
        const terms = analyzeTerms(String(q.query));
        if (q.kind === 'phrase' && q.prefix && terms.length > 0) out.prefixes.push(terms.pop()!);
        for (const term of terms) out.terms.add(term);
      }
      break;
    case 'term':
      if (q.field === field) out.terms.add(String(q.value));
      break;
    case 'terms':
      if (q.field === field) for (const v of q.values) out.terms.add(String(v));
      break;
    case 'prefix':
      if (q.field === field) out.prefixes.push(q.value);
      break;
    case 'dis_max':
      for (const sub of q.queries) highlightTerms(sub, field, out);
      break;
    case 'bool':
      for (const sub of [...q.must, ...q.filter, ...q.should]) highlightTerms(sub, field, out);
      break;
    case 'constant_score':
      highlightTerms(q.filter, field, out);
      break;
    default:
      break;
  }
  return out;
};

/** Wraps the tokens of `text` that a query looks for in the given tags. */
export const markText = (
  text: string,
  wanted: { terms: Set<string>; prefixes: string[] },
  pre: string,
  post: string,
): { text: string; hits: number } => {
  let out = '';
  let last = 0;
  let hits = 0;
  for (const token of analyze(text)) {
    if (!wanted.terms.has(token.term) && !wanted.prefixes.some((p) => token.term.startsWith(p)))
      continue;
    out += text.slice(last, token.start) + pre + text.slice(token.start, token.end) + post;
    last = token.end;
    hits++;
  }
  return { text: out + text.slice(last), hits };
};
