import {
  addUnits,
  type CalendarUnit,
  formatDate,
  parseCalendarInterval,
  parseDateFormats,
  parseFixedInterval,
} from './dates.js';
import type { IndexState } from './engine.js';
import { illegalArgument, OpenSearchApiError, parsingError, unsupported } from './errors.js';
import type { FieldInfo } from './mapping.js';
import { type KeywordIndex, type NumberIndex, numberValues, type Segment } from './segment.js';

type Json = Record<string, unknown>;

/** The matching documents of one index, as aggregations read them. */
export interface AggPart {
  readonly index: IndexState;
  readonly segment: Segment;
  readonly docs: Int32Array;
}

/** A parsed aggregation with its sub-aggregations. */
export interface Aggregation {
  readonly name: string;
  readonly type: AggType;
  readonly params: Json;
  readonly subs: Aggregation[];
}

const aggTypes = [
  'terms',
  'sum',
  'avg',
  'min',
  'max',
  'value_count',
  'date_histogram',
  'range',
] as const;
type AggType = (typeof aggTypes)[number];
const bucketTypes = new Set<AggType>(['terms', 'date_histogram', 'range']);
const knownUnsupported = new Set([
  'cardinality',
  'stats',
  'extended_stats',
  'percentiles',
  'percentile_ranks',
  'histogram',
  'filter',
  'filters',
  'nested',
  'reverse_nested',
  'top_hits',
  'date_range',
  'composite',
  'significant_terms',
  'significant_text',
  'missing',
  'global',
  'multi_terms',
  'rare_terms',
  'geo_distance',
  'geohash_grid',
  'ip_range',
  'sampler',
  'auto_date_histogram',
  'adjacency_matrix',
  'weighted_avg',
  'median_absolute_deviation',
  'scripted_metric',
  'matrix_stats',
  'bucket_sort',
  'bucket_selector',
  'bucket_script',
  'avg_bucket',
  'sum_bucket',
  'max_bucket',
  'min_bucket',
  'stats_bucket',
  'cumulative_sum',
  'derivative',
  'moving_avg',
  'moving_fn',
  'serial_diff',
  'geo_bounds',
  'geo_centroid',
  'variable_width_histogram',
]);
const allowedParams: Record<AggType, readonly string[]> = {
  terms: ['field', 'size', 'min_doc_count', 'order', 'shard_size'],
  sum: ['field'],
  avg: ['field'],
  min: ['field'],
  max: ['field'],
  value_count: ['field'],
  date_histogram: [
    'field',
    'calendar_interval',
    'fixed_interval',
    'format',
    'time_zone',
    'min_doc_count',
  ],
  range: ['field', 'ranges'],
};

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses `aggs`/`aggregations`; unknown or unsupported types are a 400. */
export const parseAggregations = (raw: unknown): Aggregation[] => {
  if (!isObject(raw)) throw parsingError('Aggregation definition must be an object');
  return Object.entries(raw).map(([name, definition]) => {
    if (!isObject(definition))
      throw parsingError(`Expected [START_OBJECT] under aggregation [${name}]`);
    let type: string | undefined;
    let subs: Aggregation[] = [];
    let params: Json = {};
    for (const [key, value] of Object.entries(definition)) {
      if (key === 'aggs' || key === 'aggregations') subs = parseAggregations(value);
      else if (key === 'meta') throw unsupported('aggregation meta');
      else {
        if (type !== undefined)
          throw parsingError(
            `Found two aggregation type definitions in [${name}]: [${type}] and [${key}]`,
          );
        type = key;
        if (!isObject(value))
          throw parsingError(`[${key}] aggregation [${name}] must be an object`);
        params = value;
      }
    }
    if (type === undefined) throw parsingError(`Missing definition for aggregation [${name}]`);
    if (!(aggTypes as readonly string[]).includes(type)) {
      if (knownUnsupported.has(type)) throw unsupported(`aggregation ${type}`);
      throw parsingError(`Unknown aggregation type [${type}]`);
    }
    const aggType = type as AggType;
    for (const key of Object.keys(params)) {
      if (
        [
          'script',
          'missing',
          'include',
          'exclude',
          'keyed',
          'extended_bounds',
          'hard_bounds',
          'offset',
          'interval',
          'format',
          'value_type',
          'collect_mode',
          'execution_hint',
          'show_term_doc_count_error',
        ].includes(key) &&
        !allowedParams[aggType].includes(key)
      )
        throw unsupported(`${aggType} aggregation parameter ${key}`);
      if (!allowedParams[aggType].includes(key))
        throw parsingError(`[${aggType}] unknown field [${key}]`);
    }
    if (typeof params.field !== 'string')
      throw illegalArgument(`Required one of fields [field, script], but none were specified.`);
    if (subs.length > 0 && !bucketTypes.has(aggType))
      throw new OpenSearchApiError(
        400,
        'aggregation_initialization_exception',
        `Aggregator [${name}] of type [${aggType}] cannot accept sub-aggregations`,
      );
    return { name, type: aggType, params, subs };
  });
};

const fieldOf = (
  part: AggPart,
  path: string,
): { info: FieldInfo; index: KeywordIndex | NumberIndex | undefined } | undefined => {
  const info = part.index.mapping.field(path);
  if (!info) return undefined;
  if (info.family === 'text')
    throw illegalArgument(
      `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${path}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`,
    );
  const index = part.segment.field(path);
  return { info, index: index?.kind === 'text' ? undefined : index };
};

type BucketKey = string | number;

const runSubs = (subs: Aggregation[], parts: AggPart[]): Json => {
  const out: Json = {};
  for (const sub of subs) out[sub.name] = runAggregation(sub, parts);
  return out;
};

const metric = (agg: Aggregation, parts: AggPart[]): Json => {
  const path = agg.params.field as string;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let date: FieldInfo | undefined;
  for (const part of parts) {
    const field = fieldOf(part, path);
    if (!field?.index) continue;
    if (field.index.kind === 'keyword' && agg.type !== 'value_count')
      throw illegalArgument(
        `Field [${path}] of type [keyword] is not supported for aggregation [${agg.type}]`,
      );
    if (field.info.type === 'date') date = field.info;
    const visit = (value: string | number) => {
      count++;
      if (typeof value === 'number') {
        sum += value;
        if (value < min) min = value;
        if (value > max) max = value;
      }
    };
    for (const doc of part.docs) forEachValue(field.index, doc, visit);
  }
  const withString = (value: number | null): Json =>
    value !== null && date
      ? { value, value_as_string: formatDate(value, date.formats) }
      : { value };
  switch (agg.type) {
    case 'sum':
      return { value: sum };
    case 'avg':
      return withString(count === 0 ? null : sum / count);
    case 'min':
      return withString(count === 0 ? null : min);
    case 'max':
      return withString(count === 0 ? null : max);
    default:
      return { value: count };
  }
};

/** Calls `visit` with each distinct value of a field in a document, without allocating for one value. */
const forEachValue = (
  index: KeywordIndex | NumberIndex,
  doc: number,
  visit: (value: string | number) => void,
): void => {
  const many = index.multi.size > 0 ? index.multi.get(doc) : undefined;
  if (many) {
    for (const value of many) visit(value);
    return;
  }
  if (index.kind === 'keyword') {
    const value = index.first[doc];
    if (value !== undefined) visit(value);
  } else {
    const value = index.values[doc]!;
    if (!Number.isNaN(value)) visit(value);
  }
};

const groupBy = (
  parts: AggPart[],
  path: string,
  keyOf: (value: number | string) => BucketKey | undefined,
  collectDocs: boolean,
) => {
  const groups = new Map<BucketKey, { docs: number[][]; count: number }>();
  let info: FieldInfo | undefined;
  parts.forEach((part, p) => {
    const field = fieldOf(part, path);
    if (!field?.index) return;
    info = field.info;
    const index = field.index;
    let doc = 0;
    let lastKey: BucketKey | undefined;
    const add = (value: string | number) => {
      const key = keyOf(value);
      // Multi-valued documents count once per bucket.
      if (key === undefined || key === lastKey) return;
      lastKey = key;
      let group = groups.get(key);
      if (!group) {
        group = { docs: parts.map(() => []), count: 0 };
        groups.set(key, group);
      }
      if (!collectDocs) {
        group.count++;
        return;
      }
      const docs = group.docs[p]!;
      if (docs[docs.length - 1] === doc) return;
      docs.push(doc);
      group.count++;
    };
    for (const d of part.docs) {
      doc = d;
      lastKey = undefined;
      forEachValue(index, d, add);
    }
  });
  return { groups, info };
};

const subParts = (parts: AggPart[], docs: number[][] | undefined): AggPart[] =>
  parts.map((part, p) => ({ ...part, docs: Int32Array.from(docs?.[p] ?? []) }));

/** Counts single-valued keyword documents by ordinal; multi-valued ones go through the generic path. */
const keywordCounts = (parts: AggPart[], path: string, collectDocs: boolean) => {
  const groups = new Map<BucketKey, { docs: number[][]; count: number }>();
  let info: FieldInfo | undefined;
  for (const [p, part] of parts.entries()) {
    const field = fieldOf(part, path);
    if (field?.index?.kind !== 'keyword') return undefined;
    info = field.info;
    const { ords, ordTerms, multi } = field.index;
    const counts = new Int32Array(ordTerms.length);
    const docsByOrd: number[][] = collectDocs ? ordTerms.map(() => []) : [];
    const add = (ord: number, doc: number) => {
      counts[ord]!++;
      if (collectDocs) docsByOrd[ord]!.push(doc);
    };
    for (const doc of part.docs) {
      const many = multi.size > 0 ? multi.get(doc) : undefined;
      if (many) {
        for (const value of many) add(field.index.ordOf.get(value)!, doc);
        continue;
      }
      const ord = ords[doc]!;
      if (ord >= 0) add(ord, doc);
    }
    for (let ord = 0; ord < counts.length; ord++) {
      if (counts[ord] === 0) continue;
      const key = ordTerms[ord]!;
      let group = groups.get(key);
      if (!group) {
        group = { docs: parts.map(() => []), count: 0 };
        groups.set(key, group);
      }
      group.count += counts[ord]!;
      if (collectDocs) group.docs[p] = docsByOrd[ord]!;
    }
  }
  return { groups, info };
};

const termsAgg = (agg: Aggregation, parts: AggPart[]): Json => {
  const size = agg.params.size === undefined ? 10 : Number(agg.params.size);
  const minDocCount = agg.params.min_doc_count === undefined ? 1 : Number(agg.params.min_doc_count);
  if (minDocCount === 0) throw unsupported('terms aggregation with min_doc_count 0');
  const fast = keywordCounts(parts, agg.params.field as string, agg.subs.length > 0);
  const { groups, info } =
    fast ?? groupBy(parts, agg.params.field as string, (value) => value, agg.subs.length > 0);
  const orders = (
    Array.isArray(agg.params.order) ? agg.params.order : agg.params.order ? [agg.params.order] : []
  ) as Json[];
  const criteria = orders.map((order) => {
    const [key, direction] = Object.entries(order)[0] ?? [];
    if (key !== '_count' && key !== '_key') throw unsupported(`terms order by [${key}]`);
    if (direction !== 'asc' && direction !== 'desc')
      throw illegalArgument(`Unknown order direction [${String(direction)}]`);
    return { key, sign: direction === 'asc' ? 1 : -1 };
  });
  if (!criteria.some((c) => c.key === '_count')) criteria.push({ key: '_count', sign: -1 });
  if (!criteria.some((c) => c.key === '_key')) criteria.push({ key: '_key', sign: 1 });
  const entries = [...groups.entries()].filter(([, g]) => g.count >= minDocCount);
  entries.sort((a, b) => {
    for (const { key, sign } of criteria) {
      const diff =
        key === '_count' ? a[1].count - b[1].count : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
      if (diff !== 0) return sign * diff;
    }
    return 0;
  });
  const shown = entries.slice(0, size);
  const other = entries.slice(size).reduce((total, [, g]) => total + g.count, 0);
  return {
    doc_count_error_upper_bound: 0,
    sum_other_doc_count: other,
    buckets: shown.map(([key, group]) => ({
      key,
      ...(info?.type === 'date' ? { key_as_string: formatDate(key as number, info.formats) } : {}),
      ...(info?.type === 'boolean' ? { key_as_string: key === 1 ? 'true' : 'false' } : {}),
      doc_count: group.count,
      ...runSubs(agg.subs, subParts(parts, group.docs)),
    })),
  };
};

const DAY_MS = 86_400_000;

/** Months since year 0 of a UTC instant, by arithmetic (Hinnant's civil_from_days), no Date object. */
const monthNumber = (ms: number): number => {
  const z = Math.floor(ms / DAY_MS) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return (yoe + era * 400 + (month <= 2 ? 1 : 0)) * 12 + month - 1;
};

/** Integer bucket numbers for an interval, and the start instant of each. */
interface BucketIndex {
  /** Whether the bucket depends only on the UTC day, so it can be computed once per day. */
  readonly perDay: boolean;
  index(ms: number): number;
  start(index: number): number;
}

const bucketIndex = (unit: CalendarUnit | undefined, fixed: number): BucketIndex => {
  const width =
    unit === 'd'
      ? DAY_MS
      : unit === 'h'
        ? 3_600_000
        : unit === 'm'
          ? 60_000
          : unit === 's'
            ? 1000
            : fixed;
  switch (unit) {
    case 'y':
      return {
        perDay: true,
        index: (ms) => Math.floor(monthNumber(ms) / 12),
        start: (i) => Date.UTC(i, 0, 1),
      };
    case 'q':
      return {
        perDay: true,
        index: (ms) => Math.floor(monthNumber(ms) / 3),
        start: (i) => Date.UTC(Math.floor(i / 4), (i % 4) * 3, 1),
      };
    case 'M':
      return {
        perDay: true,
        index: monthNumber,
        start: (i) => Date.UTC(Math.floor(i / 12), i % 12, 1),
      };
    case 'w':
      // 1970-01-01 was a Thursday; ISO weeks start on the Monday three days before.
      return {
        perDay: true,
        index: (ms) => Math.floor((Math.floor(ms / DAY_MS) + 3) / 7),
        start: (i) => (i * 7 - 3) * DAY_MS,
      };
    default:
      return { perDay: false, index: (ms) => Math.floor(ms / width), start: (i) => i * width };
  }
};

/** Counts documents per bucket with integer keys; `undefined` when the field is not numeric. */
const countBuckets = (parts: AggPart[], path: string, bucket: BucketIndex) => {
  const counts = new Map<number, number>();
  let info: FieldInfo | undefined;
  // Buckets of a day or longer depend only on the day, so the calendar arithmetic runs once per day.
  const byDay = new Map<number, number>();
  const indexOf = (v: number): number => {
    if (!bucket.perDay) return bucket.index(v);
    const day = Math.floor(v / DAY_MS);
    let i = byDay.get(day);
    if (i === undefined) {
      i = bucket.index(v);
      byDay.set(day, i);
    }
    return i;
  };
  for (const part of parts) {
    const field = fieldOf(part, path);
    if (!field?.index) continue;
    if (field.index.kind !== 'number') return undefined;
    info = field.info;
    const { values, multi } = field.index;
    for (const doc of part.docs) {
      const many = multi.size > 0 ? multi.get(doc) : undefined;
      if (many) {
        const seen = new Set(many.map(indexOf));
        for (const i of seen) counts.set(i, (counts.get(i) ?? 0) + 1);
        continue;
      }
      const v = values[doc]!;
      if (Number.isNaN(v)) continue;
      const i = indexOf(v);
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
  }
  const groups = new Map<BucketKey, { docs: number[][]; count: number }>();
  for (const [i, count] of counts) groups.set(bucket.start(i), { docs: [], count });
  return { groups, info };
};

const dateHistogram = (agg: Aggregation, parts: AggPart[]): Json => {
  const { params } = agg;
  if (
    params.time_zone !== undefined &&
    !['UTC', 'Z', '+00:00', 'Etc/UTC'].includes(String(params.time_zone))
  )
    throw unsupported(`date_histogram time_zone ${String(params.time_zone)}`);
  if ((params.calendar_interval === undefined) === (params.fixed_interval === undefined))
    throw illegalArgument(
      'Required one of fields [calendar_interval, fixed_interval], but none were specified.',
    );
  let unit: CalendarUnit | undefined;
  let fixed = 0;
  if (params.calendar_interval !== undefined)
    unit = parseCalendarInterval(String(params.calendar_interval));
  else fixed = parseFixedInterval(String(params.fixed_interval));
  const bucket = bucketIndex(unit, fixed);
  const round = (ms: number) => bucket.start(bucket.index(ms));
  const next = (ms: number) => (unit ? addUnits(ms, 1, unit) : ms + fixed);
  const minDocCount = params.min_doc_count === undefined ? 0 : Number(params.min_doc_count);
  const { groups, info } =
    (agg.subs.length === 0 ? countBuckets(parts, params.field as string, bucket) : undefined) ??
    groupBy(
      parts,
      params.field as string,
      (value) => (typeof value === 'number' ? round(value) : undefined),
      agg.subs.length > 0,
    );
  if (info && info.type !== 'date' && info.family !== 'number')
    throw illegalArgument(
      `Field [${info.path}] of type [${info.type}] is not supported for aggregation [date_histogram]`,
    );
  const formats =
    params.format !== undefined ? parseDateFormats(String(params.format)) : (info?.formats ?? []);
  const keys = [...groups.keys()].sort((a, b) => (a as number) - (b as number)) as number[];
  const buckets: Json[] = [];
  if (keys.length > 0) {
    const last = keys[keys.length - 1]!;
    for (let key = keys[0]!; key <= last; key = next(key)) {
      const group = groups.get(key);
      const count = group?.count ?? 0;
      if (count < minDocCount) continue;
      buckets.push({
        key_as_string: formatDate(
          key,
          formats.length > 0 ? formats : ['strict_date_optional_time'],
        ),
        key,
        doc_count: count,
        ...runSubs(agg.subs, subParts(parts, group?.docs)),
      });
    }
  }
  return { buckets };
};

/** Java's Double.toString, which OpenSearch uses for numeric range keys. */
export const javaDouble = (n: number): string => {
  if (Number.isInteger(n) && Math.abs(n) < 1e7) return `${n}.0`;
  if (Math.abs(n) >= 1e7 || (n !== 0 && Math.abs(n) < 1e-3)) {
    const [mantissa, exponent] = n.toExponential().split('e') as [string, string];
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return String(n);
};

const rangeAgg = (agg: Aggregation, parts: AggPart[]): Json => {
  const ranges = agg.params.ranges;
  if (!Array.isArray(ranges) || ranges.length === 0)
    throw illegalArgument(`No [ranges] specified for the [${agg.name}] aggregation`);
  const parsed = ranges.map((range) => {
    if (!isObject(range)) throw parsingError('[ranges] must hold objects');
    for (const key of Object.keys(range))
      if (!['from', 'to', 'key'].includes(key))
        throw parsingError(`[range] unknown field [${key}]`);
    return {
      from: range.from === undefined || range.from === null ? undefined : Number(range.from),
      to: range.to === undefined || range.to === null ? undefined : Number(range.to),
      key: range.key === undefined ? undefined : String(range.key),
      docs: parts.map(() => [] as number[]),
      count: 0,
    };
  });
  parts.forEach((part, p) => {
    const field = fieldOf(part, agg.params.field as string);
    if (!field?.index) return;
    if (field.index.kind === 'keyword') throw unsupported('range aggregation on keyword fields');
    for (const doc of part.docs) {
      const values = numberValues(field.index, doc);
      for (const range of parsed) {
        if (
          values.some(
            (v) =>
              (range.from === undefined || v >= range.from) &&
              (range.to === undefined || v < range.to),
          )
        ) {
          range.docs[p]!.push(doc);
          range.count++;
        }
      }
    }
  });
  parsed.sort(
    (a, b) =>
      (a.from ?? -Infinity) - (b.from ?? -Infinity) || (a.to ?? Infinity) - (b.to ?? Infinity),
  );
  return {
    buckets: parsed.map((range) => ({
      key:
        range.key ??
        `${range.from === undefined ? '*' : javaDouble(range.from)}-${range.to === undefined ? '*' : javaDouble(range.to)}`,
      ...(range.from !== undefined ? { from: range.from } : {}),
      ...(range.to !== undefined ? { to: range.to } : {}),
      doc_count: range.count,
      ...runSubs(agg.subs, subParts(parts, range.docs)),
    })),
  };
};

/** Runs one aggregation over the matching documents. */
export const runAggregation = (agg: Aggregation, parts: AggPart[]): Json => {
  switch (agg.type) {
    case 'terms':
      return termsAgg(agg, parts);
    case 'date_histogram':
      return dateHistogram(agg, parts);
    case 'range':
      return rangeAgg(agg, parts);
    default:
      return metric(agg, parts);
  }
};

/** Runs every top-level aggregation. */
export const runAggregations = (aggs: Aggregation[], parts: AggPart[]): Json =>
  runSubs(aggs, parts);
