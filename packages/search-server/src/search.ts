import { type AggPart, parseAggregations, runAggregations } from './aggs.js';
import { parseDate } from './dates.js';
import type { IndexState } from './engine.js';
import { illegalArgument, OpenSearchApiError, parsingError, unsupported } from './errors.js';
import type { FieldInfo } from './mapping.js';
import {
  type DocSet,
  evaluate,
  highlightTerms,
  markText,
  parseQuery,
  type Query,
  sourceValues,
} from './query.js';
import type { Segment } from './segment.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Long.MAX_VALUE and Long.MIN_VALUE, which OpenSearch returns as the sort value of a missing number.
const LONG_MAX = 2 ** 63;
const LONG_MIN = -(2 ** 63);

/** One `sort` entry. */
interface SortSpec {
  readonly field: string;
  readonly order: 1 | -1;
  readonly missing: '_last' | '_first' | number | string;
  readonly mode?: 'min' | 'max';
  readonly unmappedType?: string;
}

type Key = number | string | null;

/** Reads `sort` in any of its forms (string, object, array of both). */
export const parseSort = (raw: unknown): SortSpec[] => {
  const items = Array.isArray(raw) ? raw : [raw];
  return items.map((item): SortSpec => {
    if (typeof item === 'string') {
      const [field, order] = item.split(':');
      return {
        field: field!,
        order: (order ?? (field === '_score' ? 'desc' : 'asc')) === 'desc' ? -1 : 1,
        missing: '_last',
      };
    }
    if (!isObject(item) || Object.keys(item).length !== 1)
      throw parsingError('malformed sort format');
    const [field, spec] = Object.entries(item)[0]!;
    const options = isObject(spec) ? spec : { order: spec };
    for (const key of Object.keys(options)) {
      if (!['order', 'missing', 'mode', 'unmapped_type'].includes(key)) {
        if (['nested', 'numeric_type', 'format', '_script'].includes(key))
          throw unsupported(`sort option ${key}`);
        throw parsingError(`[field_sort] unknown field [${key}]`);
      }
    }
    const order = String(options.order ?? (field === '_score' ? 'desc' : 'asc')).toLowerCase();
    if (order !== 'asc' && order !== 'desc') throw parsingError(`Unknown sort order [${order}]`);
    if (options.mode !== undefined && options.mode !== 'min' && options.mode !== 'max')
      throw unsupported(`sort mode ${String(options.mode)}`);
    return {
      field,
      order: order === 'desc' ? -1 : 1,
      missing: (options.missing as SortSpec['missing'] | undefined) ?? '_last',
      ...(options.mode ? { mode: options.mode as 'min' | 'max' } : {}),
      ...(typeof options.unmapped_type === 'string' ? { unmappedType: options.unmapped_type } : {}),
    };
  });
};

type Getter = (doc: number, score: number) => Key;

const sortGetter = (
  spec: SortSpec,
  index: IndexState,
  segment: Segment,
): { get: Getter; info?: FieldInfo } => {
  if (spec.field === '_score') return { get: (_doc, score) => score };
  if (spec.field === '_doc') return { get: (doc) => doc };
  const info = index.mapping.field(spec.field);
  if (!info) {
    if (spec.unmappedType) return { get: () => null };
    throw new OpenSearchApiError(
      400,
      'query_shard_exception',
      `No mapping found for [${spec.field}] in order to sort on`,
      {
        index: index.name,
        index_uuid: index.uuid,
      },
    );
  }
  if (info.family === 'text')
    throw illegalArgument(
      `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${spec.field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`,
    );
  const field = segment.field(spec.field);
  const useMax = (spec.mode ?? (spec.order === -1 ? 'max' : 'min')) === 'max';
  if (!field) return { get: () => null, info };
  if (field.kind === 'number') {
    const { values, multi } = field;
    return {
      info,
      get: (doc) => {
        const many = multi.size > 0 ? multi.get(doc) : undefined;
        if (many) return useMax ? many[many.length - 1]! : many[0]!;
        const v = values[doc]!;
        return Number.isNaN(v) ? null : v;
      },
    };
  }
  if (field.kind === 'keyword') {
    const { first, multi } = field;
    return {
      info,
      get: (doc) => {
        const many = multi.size > 0 ? multi.get(doc) : undefined;
        if (many) return useMax ? many[many.length - 1]! : many[0]!;
        return first[doc] ?? null;
      },
    };
  }
  return { get: () => null, info };
};

interface Entry {
  part: number;
  doc: number;
  score: number;
  keys: Key[];
}

const compareKeys = (specs: SortSpec[], a: Key[], b: Key[]): number => {
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x === null || y === null) {
      const missingFirst = spec.missing === '_first';
      // `_last`/`_first` place missing values regardless of the sort direction.
      return (x === null ? 1 : -1) * (missingFirst ? -1 : 1);
    }
    const diff = x < y ? -1 : 1;
    return diff * spec.order;
  }
  return 0;
};

/** A bounded max-heap that keeps the best `capacity` entries by `compare`. */
class TopK {
  readonly items: Entry[] = [];
  constructor(
    private readonly capacity: number,
    private readonly compare: (a: Entry, b: Entry) => number,
  ) {}
  worst(): Entry | undefined {
    return this.items.length === this.capacity ? this.items[0] : undefined;
  }
  push(entry: Entry): void {
    const { items, compare } = this;
    if (items.length < this.capacity) {
      items.push(entry);
      let i = items.length - 1;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (compare(items[i]!, items[parent]!) <= 0) break;
        [items[i], items[parent]] = [items[parent]!, items[i]!];
        i = parent;
      }
      return;
    }
    items[0] = entry;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < items.length && compare(items[l]!, items[largest]!) > 0) largest = l;
      if (r < items.length && compare(items[r]!, items[largest]!) > 0) largest = r;
      if (largest === i) break;
      [items[i], items[largest]] = [items[largest]!, items[i]!];
      i = largest;
    }
  }
  sorted(): Entry[] {
    return [...this.items].sort(this.compare);
  }
}

const globMatch = (pattern: string, path: string): boolean => {
  if (!pattern.includes('*')) return pattern === path || path.startsWith(`${pattern}.`);
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}(\\..*)?$`,
  );
  return regex.test(path);
};

const couldContain = (pattern: string, path: string): boolean =>
  pattern.includes('*') || pattern.startsWith(`${path}.`);

/** `_source` includes and excludes, with `*` wildcards on dotted paths. */
export const filterSource = (source: Json, includes: string[], excludes: string[]): Json => {
  const walk = (object: Json, prefix: string, included: boolean): Json => {
    const out: Json = {};
    for (const [key, value] of Object.entries(object)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (excludes.some((pattern) => globMatch(pattern, path))) continue;
      const fully =
        included || includes.length === 0 || includes.some((pattern) => globMatch(pattern, path));
      if (fully && !isObject(value) && !Array.isArray(value)) {
        out[key] = value;
        continue;
      }
      if (!fully && !includes.some((pattern) => couldContain(pattern, path))) continue;
      if (isObject(value)) {
        const child = walk(value, path, fully && includes.length > 0 ? true : included);
        if (Object.keys(child).length > 0 || fully) out[key] = child;
      } else if (Array.isArray(value)) {
        const items = value
          .map((item) =>
            isObject(item)
              ? walk(item, path, fully && includes.length > 0 ? true : included)
              : fully
                ? item
                : undefined,
          )
          .filter(
            (item) =>
              item !== undefined && !(isObject(item) && Object.keys(item).length === 0 && !fully),
          );
        if (items.length > 0 || fully) out[key] = items;
      } else if (fully) out[key] = value;
    }
    return out;
  };
  return walk(source, '', false);
};

/** Reads `_source` from a body (`false`, a pattern, a list, or `{ includes, excludes }`). */
export const parseSourceFilter = (
  raw: unknown,
): { enabled: boolean; includes: string[]; excludes: string[] } => {
  if (raw === undefined || raw === true) return { enabled: true, includes: [], excludes: [] };
  if (raw === false) return { enabled: false, includes: [], excludes: [] };
  if (typeof raw === 'string') return { enabled: true, includes: [raw], excludes: [] };
  if (Array.isArray(raw)) return { enabled: true, includes: raw.map(String), excludes: [] };
  if (isObject(raw)) {
    const list = (v: unknown) =>
      v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
    for (const key of Object.keys(raw))
      if (!['includes', 'excludes', 'include', 'exclude'].includes(key))
        throw parsingError(`Unknown key for a START_ARRAY in [${key}]`);
    return {
      enabled: true,
      includes: list(raw.includes ?? raw.include),
      excludes: list(raw.excludes ?? raw.exclude),
    };
  }
  throw parsingError('[_source] must be a boolean, string, list or object');
};

/** A search's inputs besides the body: the query-string parameters. */
export interface SearchParams {
  readonly size?: number;
  readonly from?: number;
  readonly sort?: string;
  readonly source?: unknown;
  readonly sourceIncludes?: string[];
  readonly sourceExcludes?: string[];
  readonly trackTotalHits?: boolean | number;
  readonly restTotalHitsAsInt?: boolean;
}

const bodyKeys = new Set([
  'query',
  'from',
  'size',
  'sort',
  'search_after',
  'track_total_hits',
  '_source',
  'highlight',
  'aggs',
  'aggregations',
  'track_scores',
  'timeout',
  'min_score',
]);
const unsupportedBodyKeys = new Set([
  'post_filter',
  'collapse',
  'explain',
  'stored_fields',
  'docvalue_fields',
  'script_fields',
  'suggest',
  'rescore',
  'pit',
  'indices_boost',
  'version',
  'seq_no_primary_term',
  'fields',
  'profile',
  'ext',
  'search_pipeline',
  'slice',
  'terminate_after',
  'stats',
]);

const highlightOptions = [
  'fragment_size',
  'number_of_fragments',
  'pre_tags',
  'post_tags',
  'require_field_match',
  'type',
];

interface HighlightSpec {
  fields: { pattern: string; options: Json }[];
  options: Json;
}

const parseHighlight = (raw: unknown): HighlightSpec | undefined => {
  if (raw === undefined) return undefined;
  if (!isObject(raw) || raw.fields === undefined)
    throw parsingError('highlight must hold [fields]');
  for (const key of Object.keys(raw))
    if (key !== 'fields' && !highlightOptions.includes(key))
      throw unsupported(`highlight option ${key}`);
  const entries = Array.isArray(raw.fields)
    ? raw.fields.flatMap((f) => Object.entries(f as Json))
    : Object.entries(raw.fields as Json);
  const fields = entries.map(([pattern, options]) => {
    const opts = isObject(options) ? options : {};
    for (const key of Object.keys(opts))
      if (!highlightOptions.includes(key)) throw unsupported(`highlight option ${key}`);
    return { pattern, options: opts };
  });
  for (const { options } of [{ options: raw }, ...fields])
    if (options.type !== undefined && options.type !== 'unified' && options.type !== 'plain')
      throw unsupported(`highlighter type ${String(options.type)}`);
  return { fields, options: raw };
};

const fragmentsOf = (text: string, size: number): string[] => {
  if (text.length <= size) return [text];
  const out: string[] = [];
  let current = '';
  for (const word of text.split(/(?<=\s)/)) {
    if (current.length + word.length > size && current.length > 0) {
      out.push(current.trimEnd());
      current = '';
    }
    current += word;
  }
  if (current) out.push(current.trimEnd());
  return out;
};

const highlightHit = (
  spec: HighlightSpec,
  query: Query | undefined,
  index: IndexState,
  source: Json,
): Json | undefined => {
  if (!query) return undefined;
  const out: Json = {};
  for (const { pattern, options } of spec.fields) {
    const opt = (key: string) => options[key] ?? spec.options[key];
    const pre = String((opt('pre_tags') as string[] | undefined)?.[0] ?? '<em>');
    const post = String((opt('post_tags') as string[] | undefined)?.[0] ?? '</em>');
    const fragmentSize = Number(opt('fragment_size') ?? 100);
    const count = Number(opt('number_of_fragments') ?? 5);
    const requireFieldMatch = opt('require_field_match') !== false;
    for (const info of index.mapping.matchFields(pattern)) {
      if (info.family === 'number') continue;
      const wanted = requireFieldMatch
        ? highlightTerms(query, info.path)
        : [...index.mapping.fields()].reduce((acc, f) => highlightTerms(query, f.path, acc), {
            terms: new Set<string>(),
            prefixes: [] as string[],
          });
      if (wanted.terms.size === 0 && wanted.prefixes.length === 0) continue;
      const fragments: string[] = [];
      for (const value of sourceValues(source, info.sourcePath)) {
        const text = String(value);
        if (info.family === 'keyword') {
          if (wanted.terms.has(text) || wanted.prefixes.some((p) => text.startsWith(p)))
            fragments.push(pre + text + post);
          continue;
        }
        const pieces = count === 0 ? [text] : fragmentsOf(text, fragmentSize);
        for (const piece of pieces) {
          const marked = markText(piece, wanted, pre, post);
          if (marked.hits > 0) fragments.push(marked.text);
        }
      }
      if (fragments.length > 0)
        out[info.path] = count === 0 ? fragments : fragments.slice(0, count);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
};

const sortValueOut = (key: Key, spec: SortSpec, info: FieldInfo | undefined): unknown => {
  if (key !== null) return key;
  if (info?.family === 'number')
    return (spec.missing === '_first') === (spec.order === 1) ? LONG_MIN : LONG_MAX;
  return null;
};

const afterKey = (value: unknown, spec: SortSpec, info: FieldInfo | undefined): Key => {
  if (value === null) return null;
  if (info?.family === 'number') {
    if (typeof value === 'number' && (value >= LONG_MAX || value <= LONG_MIN)) return null;
    if (info.type === 'date' && typeof value === 'string') {
      const ms = parseDate(value, info.formats);
      if (ms === undefined)
        throw illegalArgument(
          `Failed to parse search_after value [${value}] for field [${spec.field}]`,
        );
      return ms;
    }
    const n = Number(value);
    if (!Number.isFinite(n))
      throw illegalArgument(
        `Failed to parse search_after value [${String(value)}] for field [${spec.field}]`,
      );
    return n;
  }
  if (spec.field === '_score' || spec.field === '_doc') return Number(value);
  return String(value);
};

const parseTrackTotalHits = (value: unknown): boolean | number => {
  if (value === undefined) return 10000;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw illegalArgument(
      `[track_total_hits] parameter must be positive or equals to -1, got ${String(value)}`,
    );
  return n;
};

/** Runs a search across indices and renders OpenSearch's response. */
export const search = (
  indices: IndexState[],
  rawBody: unknown,
  params: SearchParams,
  now: number,
): Json => {
  const started = Date.now();
  const body = (rawBody ?? {}) as Json;
  if (!isObject(body)) throw parsingError('request body must be an object');
  for (const key of Object.keys(body)) {
    if (unsupportedBodyKeys.has(key)) throw unsupported(`search body parameter ${key}`);
    if (!bodyKeys.has(key)) throw parsingError(`Unknown key for a START_OBJECT in [${key}].`);
  }
  const query = body.query === undefined ? undefined : parseQuery(body.query);
  const size = params.size ?? (body.size === undefined ? 10 : Number(body.size));
  const from = params.from ?? (body.from === undefined ? 0 : Number(body.from));
  if (!Number.isInteger(size) || size < 0)
    throw illegalArgument(`[size] parameter cannot be negative, found [${size}]`);
  if (!Number.isInteger(from) || from < 0)
    throw illegalArgument(`[from] parameter cannot be negative but was [${from}]`);
  const sortRaw = params.sort !== undefined ? params.sort.split(',') : body.sort;
  const specs = sortRaw === undefined ? [] : parseSort(sortRaw);
  const searchAfter = body.search_after;
  if (searchAfter !== undefined) {
    if (!Array.isArray(searchAfter)) throw parsingError('[search_after] must be an array');
    if (specs.length === 0) throw illegalArgument('Sort must contain at least one field.');
    if (searchAfter.length !== specs.length)
      throw illegalArgument(
        `search_after has ${searchAfter.length} value(s) but sort has ${specs.length}.`,
      );
    if (from > 0)
      throw illegalArgument('`from` parameter must be set to 0 when `search_after` is used.');
  }
  const trackTotalHits = params.trackTotalHits ?? parseTrackTotalHits(body.track_total_hits);
  const minScore = body.min_score === undefined ? undefined : Number(body.min_score);
  const sourceFilter = parseSourceFilter(params.source ?? body._source);
  if (params.sourceIncludes) sourceFilter.includes.push(...params.sourceIncludes);
  if (params.sourceExcludes) sourceFilter.excludes.push(...params.sourceExcludes);
  const aggs = body.aggs ?? body.aggregations;
  const aggregations = aggs === undefined ? undefined : parseAggregations(aggs);
  const highlight = parseHighlight(body.highlight);
  const effectiveSpecs: SortSpec[] =
    specs.length > 0 ? specs : [{ field: '_score', order: -1, missing: '_last' }];
  const scoring =
    (specs.length === 0 && size > 0) ||
    specs.some((s) => s.field === '_score') ||
    body.track_scores === true ||
    minScore !== undefined;
  for (const index of indices)
    if (from + size > index.maxResultWindow)
      throw illegalArgument(
        `Result window is too large, from + size must be less than or equal to: [${index.maxResultWindow}] but was [${from + size}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.`,
      );

  const compare = (a: Entry, b: Entry) =>
    compareKeys(effectiveSpecs, a.keys, b.keys) || a.part - b.part || a.doc - b.doc;
  const top = new TopK(Math.max(1, from + size), compare);
  const parts: AggPart[] = [];
  let total = 0;
  let maxScore = -Infinity;
  const infosByPart: (FieldInfo | undefined)[][] = [];
  indices.forEach((index, p) => {
    const segment = index.segment;
    const ctx = { index, segment, now };
    const set: DocSet = query
      ? evaluate(query, ctx, scoring)
      : evaluate({ kind: 'match_all', boost: 1 }, ctx, scoring);
    const getters = effectiveSpecs.map((spec) => sortGetter(spec, index, segment));
    infosByPart.push(getters.map((g) => g.info));
    const after = searchAfter
      ? (searchAfter as unknown[]).map((v, i) => afterKey(v, effectiveSpecs[i]!, getters[i]!.info))
      : undefined;
    const matched: number[] = [];
    const keys: Key[] = new Array(effectiveSpecs.length);
    const { match, scores } = set;
    for (let d = 0; d < segment.maxDoc; d++) {
      if (!match[d]) continue;
      const score = scores ? Math.fround(scores[d]!) : Number.NaN;
      if (minScore !== undefined && !(score >= minScore)) continue;
      matched.push(d);
      total++;
      if (scores && score > maxScore) maxScore = score;
      if (size === 0) continue;
      for (let i = 0; i < getters.length; i++) keys[i] = getters[i]!.get(d, score);
      if (after && compareKeys(effectiveSpecs, keys, after) <= 0) continue;
      const worst = top.worst();
      if (worst) {
        const c = compareKeys(effectiveSpecs, keys, worst.keys) || p - worst.part || d - worst.doc;
        if (c >= 0) continue;
      }
      top.push({ part: p, doc: d, score, keys: [...keys] });
    }
    parts.push({ index, segment, docs: Int32Array.from(matched) });
  });

  const hits = size === 0 ? [] : top.sorted().slice(from, from + size);
  const renderedHits = hits.map((entry) => {
    const index = indices[entry.part]!;
    const source = index.segment.sources[entry.doc]!;
    const hit: Json = {
      _index: index.name,
      _id: index.segment.ids[entry.doc],
      _score: scoring ? entry.score : null,
    };
    if (sourceFilter.enabled)
      hit._source =
        sourceFilter.includes.length === 0 && sourceFilter.excludes.length === 0
          ? source
          : filterSource(source, sourceFilter.includes, sourceFilter.excludes);
    if (specs.length > 0)
      hit.sort = entry.keys.map((key, i) =>
        sortValueOut(key, effectiveSpecs[i]!, infosByPart[entry.part]![i]),
      );
    if (highlight) {
      const marked = highlightHit(highlight, query, index, source);
      if (marked) hit.highlight = marked;
    }
    return hit;
  });

  const hitsJson: Json = {};
  if (trackTotalHits !== false) {
    const threshold = trackTotalHits === true ? Infinity : trackTotalHits;
    const capped = total > threshold;
    hitsJson.total = params.restTotalHitsAsInt
      ? capped
        ? threshold
        : total
      : { value: capped ? threshold : total, relation: capped ? 'gte' : 'eq' };
  }
  hitsJson.max_score = scoring && total > 0 && size > 0 ? maxScore : null;
  hitsJson.hits = renderedHits;
  const response: Json = {
    took: Date.now() - started,
    timed_out: false,
    _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 },
    hits: hitsJson,
  };
  if (aggregations) response.aggregations = runAggregations(aggregations, parts);
  return response;
};

/** Counts the documents a query matches (`_count`). */
export const count = (indices: IndexState[], rawBody: unknown, now: number): Json => {
  const body = (rawBody ?? {}) as Json;
  if (!isObject(body)) throw parsingError('request body must be an object');
  for (const key of Object.keys(body))
    if (key !== 'query') throw parsingError(`request does not support [${key}]`);
  const query = body.query === undefined ? undefined : parseQuery(body.query);
  let total = 0;
  for (const index of indices) {
    const ctx = { index, segment: index.segment, now };
    const set = query
      ? evaluate(query, ctx, false)
      : evaluate({ kind: 'match_all', boost: 1 }, ctx, false);
    for (let d = 0; d < set.match.length; d++) if (set.match[d]) total++;
  }
  return {
    count: total,
    _shards: { total: indices.length, successful: indices.length, skipped: 0, failed: 0 },
  };
};

/** The ids (with the source object they were matched on) a query matches, for `_delete_by_query`. */
export const matchingDocs = (
  index: IndexState,
  rawQuery: unknown,
  now: number,
): { id: string; source: Json }[] => {
  const query =
    rawQuery === undefined ? ({ kind: 'match_all', boost: 1 } as Query) : parseQuery(rawQuery);
  const segment = index.segment;
  const set = evaluate(query, { index, segment, now }, false);
  const out: { id: string; source: Json }[] = [];
  for (let d = 0; d < segment.maxDoc; d++)
    if (set.match[d]) out.push({ id: segment.ids[d]!, source: segment.sources[d]! });
  return out;
};
