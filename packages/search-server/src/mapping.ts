import { analyzeTerms } from './analysis.js';
import { type DateFormat, defaultDateFormat, parseDate, parseDateFormats } from './dates.js';
import { OpenSearchApiError, unsupported } from './errors.js';

/** Leaf field types this server indexes. */
export const leafTypes = [
  'text',
  'keyword',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'half_float',
  'scaled_float',
  'boolean',
  'date',
] as const;

/** One leaf field type. */
export type LeafType = (typeof leafTypes)[number];

/** How a leaf field is indexed, derived from its mapping. */
export interface FieldInfo {
  readonly path: string;
  /** Where the value sits in `_source`: the parent's path for a multi-field such as `name.keyword`. */
  readonly sourcePath: string;
  readonly type: LeafType;
  /** `text`: analysed postings; `keyword`: exact postings; `number`: numeric doc values. */
  readonly family: 'text' | 'keyword' | 'number';
  readonly ignoreAbove?: number;
  readonly scalingFactor?: number;
  readonly formats: readonly DateFormat[];
  readonly indexed: boolean;
  readonly docValues: boolean;
}

/** The analysed values of one field of one document. */
export interface ParsedField {
  readonly info: FieldInfo;
  /** Terms for text fields, strings for keyword fields, numbers for numeric, date and boolean fields. */
  readonly values: (string | number)[];
}

/** The result of parsing one document against a mapping. */
export type ParsedDoc = ParsedField[];

type Json = Record<string, unknown>;
type Dynamic = true | false | 'strict';

const knownUnsupportedTypes = new Set([
  'ip',
  'geo_point',
  'geo_shape',
  'flat_object',
  'knn_vector',
  'binary',
  'unsigned_long',
  'token_count',
  'completion',
  'search_as_you_type',
  'join',
  'alias',
  'date_nanos',
  'wildcard',
  'match_only_text',
  'constant_keyword',
  'integer_range',
  'long_range',
  'date_range',
  'percolator',
  'rank_feature',
  'rank_features',
]);

const commonParams = ['type', 'fields', 'index', 'doc_values', 'store', 'meta'];
const allowedParams: Record<string, readonly string[]> = {
  text: [...commonParams, 'analyzer', 'search_analyzer', 'norms'],
  keyword: [...commonParams, 'ignore_above'],
  long: [...commonParams, 'coerce'],
  integer: [...commonParams, 'coerce'],
  short: [...commonParams, 'coerce'],
  byte: [...commonParams, 'coerce'],
  double: [...commonParams, 'coerce'],
  float: [...commonParams, 'coerce'],
  half_float: [...commonParams, 'coerce'],
  scaled_float: [...commonParams, 'coerce', 'scaling_factor'],
  boolean: [...commonParams],
  date: [...commonParams, 'format'],
  object: ['type', 'properties', 'dynamic', 'enabled'],
  nested: ['type', 'properties', 'dynamic'],
};

const integerRanges: Partial<Record<LeafType, readonly [number, number]>> = {
  integer: [-(2 ** 31), 2 ** 31 - 1],
  short: [-32768, 32767],
  byte: [-128, 127],
  long: [Number.MIN_SAFE_INTEGER * 1024, Number.MAX_SAFE_INTEGER * 1024],
};

const mapperError = (reason: string) =>
  new OpenSearchApiError(400, 'mapper_parsing_exception', reason);

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const typeOf = (def: Json): string =>
  typeof def.type === 'string' ? def.type : def.properties !== undefined ? 'object' : 'object';

const readDynamic = (value: unknown, path: string): Dynamic | undefined => {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  if (value === 'strict') return 'strict';
  throw mapperError(`Could not convert [${path}.dynamic] to boolean`);
};

const validateField = (name: string, def: unknown, path: string): void => {
  if (!isObject(def)) throw mapperError(`Expected map for property [fields] on field [${name}]`);
  const type = typeOf(def);
  if (knownUnsupportedTypes.has(type)) throw unsupported(`field type ${type} (field [${path}])`);
  const allowed = allowedParams[type];
  if (!allowed) throw mapperError(`No handler for type [${type}] declared on field [${name}]`);
  for (const key of Object.keys(def)) {
    if (key === 'copy_to' || key === 'normalizer' || key === 'null_value' || key === 'fielddata')
      throw unsupported(`mapping parameter ${key} (field [${path}])`);
    if (key === 'ignore_malformed' || key === 'index_options' || key === 'eager_global_ordinals')
      throw unsupported(`mapping parameter ${key} (field [${path}])`);
    if (!allowed.includes(key))
      throw mapperError(`unknown parameter [${key}] on mapper [${name}] of type [${type}]`);
  }
  for (const key of ['analyzer', 'search_analyzer'] as const) {
    if (def[key] !== undefined && def[key] !== 'standard')
      throw unsupported(`analyzer ${String(def[key])} (field [${path}])`);
  }
  if (type === 'scaled_float' && typeof def.scaling_factor !== 'number')
    throw mapperError(`Field [scaling_factor] is required for field [${path}]`);
  if (type === 'date' && def.format !== undefined) parseDateFormats(String(def.format));
  if (type === 'object' && def.enabled === false) throw unsupported(`enabled: false on [${path}]`);
  if (def.dynamic !== undefined) readDynamic(def.dynamic, path);
  if (def.properties !== undefined) validateProperties(def.properties, path);
  if (def.fields !== undefined) {
    if (!isObject(def.fields)) throw mapperError(`[fields] must be an object on [${path}]`);
    for (const [sub, subDef] of Object.entries(def.fields)) {
      if (isObject(subDef) && (subDef.properties !== undefined || subDef.fields !== undefined))
        throw mapperError(`multi-field [${path}.${sub}] must be a leaf field`);
      validateField(sub, subDef, `${path}.${sub}`);
    }
  }
};

const validateProperties = (properties: unknown, prefix: string): void => {
  if (!isObject(properties)) throw mapperError(`Expected map for property [properties]`);
  for (const [name, def] of Object.entries(properties))
    validateField(name, def, prefix ? `${prefix}.${name}` : name);
};

const leafInfo = (path: string, def: Json, sourcePath = path): FieldInfo => {
  const type = typeOf(def) as LeafType;
  const family = type === 'text' ? 'text' : type === 'keyword' ? 'keyword' : 'number';
  return {
    path,
    sourcePath,
    type,
    family,
    ...(typeof def.ignore_above === 'number' ? { ignoreAbove: def.ignore_above } : {}),
    ...(typeof def.scaling_factor === 'number' ? { scalingFactor: def.scaling_factor } : {}),
    formats: type === 'date' ? parseDateFormats(String(def.format ?? defaultDateFormat)) : [],
    indexed: def.index !== false,
    docValues: def.doc_values !== false && type !== 'text',
  };
};

const mergeProperties = (target: Json, source: Json, prefix: string): void => {
  for (const [name, def] of Object.entries(source)) {
    const path = prefix ? `${prefix}.${name}` : name;
    const existing = target[name];
    if (!isObject(existing)) {
      target[name] = structuredClone(def);
      continue;
    }
    const incoming = def as Json;
    const from = typeOf(existing);
    const to = typeOf(incoming);
    if (from !== to)
      throw new OpenSearchApiError(
        400,
        'illegal_argument_exception',
        `mapper [${path}] cannot be changed from type [${from}] to [${to}]`,
      );
    for (const [key, value] of Object.entries(incoming)) {
      if (key === 'properties') {
        existing.properties ??= {};
        mergeProperties(existing.properties as Json, value as Json, path);
      } else if (key === 'fields') {
        existing.fields ??= {};
        mergeProperties(existing.fields as Json, value as Json, path);
      } else existing[key] = structuredClone(value);
    }
  }
};

/** A document id, for error messages in OpenSearch's wording. */
const failedToParse = (info: FieldInfo, id: string, value: unknown, detail?: string) =>
  mapperError(
    `failed to parse field [${info.path}] of type [${info.type}] in document with id '${id}'. Preview of field's value: '${typeof value === 'object' ? JSON.stringify(value) : String(value)}'${detail ? ` (${detail})` : ''}`,
  );

const convertLeaf = (info: FieldInfo, raw: unknown, id: string): string | number | undefined => {
  switch (info.type) {
    case 'text':
    case 'keyword': {
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      throw failedToParse(info, id, raw);
    }
    case 'boolean': {
      if (raw === true || raw === 'true') return 1;
      if (raw === false || raw === 'false' || raw === '') return 0;
      throw failedToParse(
        info,
        id,
        raw,
        'Failed to parse value, only [true] or [false] are allowed',
      );
    }
    case 'date': {
      const millis = parseDate(raw, info.formats);
      if (millis === undefined) throw failedToParse(info, id, raw, 'failed to parse date field');
      return millis;
    }
    default: {
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && raw.trim() !== ''
            ? Number(raw)
            : Number.NaN;
      if (!Number.isFinite(n)) throw failedToParse(info, id, raw);
      if (info.type === 'scaled_float')
        return Math.round(n * info.scalingFactor!) / info.scalingFactor!;
      const range = integerRanges[info.type];
      if (range) {
        const truncated = Math.trunc(n);
        if (truncated < range[0] || truncated > range[1])
          throw failedToParse(info, id, raw, 'out of range');
        return truncated;
      }
      if (info.type === 'float' || info.type === 'half_float') return Math.fround(n);
      return n;
    }
  }
};

const inferDefinition = (value: unknown): Json | undefined => {
  if (typeof value === 'boolean') return { type: 'boolean' };
  if (typeof value === 'number') return { type: Number.isInteger(value) ? 'long' : 'float' };
  if (typeof value === 'string') {
    // Date detection as OpenSearch's default dynamic_date_formats; a bare year is left as text.
    if (/^\d{4}-\d{2}-\d{2}/.test(value) && parseDate(value, ['strict_date_optional_time']))
      return { type: 'date' };
    return { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } };
  }
  if (isObject(value)) return { properties: {} };
  return undefined;
};

/** An index's mapping: the JSON OpenSearch returns, plus the flat field table derived from it. */
export class Mapping {
  private readonly root: Json;
  private fieldTable = new Map<string, FieldInfo>();
  private objectPaths = new Map<string, 'object' | 'nested'>();

  /** Validates a `mappings` body and builds the mapping. */
  constructor(mappings: unknown = {}) {
    if (!isObject(mappings)) throw mapperError('Failed to parse mapping: expected an object');
    for (const key of Object.keys(mappings)) {
      if (key === '_source' || key === '_routing' || key === '_meta' || key === 'date_detection')
        throw unsupported(`mapping parameter ${key}`);
      if (key !== 'properties' && key !== 'dynamic')
        throw mapperError(`Root mapping definition has unsupported parameters:  [${key}]`);
    }
    readDynamic(mappings.dynamic, '_doc');
    validateProperties(mappings.properties ?? {}, '');
    this.root = structuredClone(mappings);
    this.root.properties ??= {};
    this.rebuild();
  }

  /** The mapping as `GET /<index>/_mapping` shows it. */
  toJSON(): Json {
    return structuredClone(this.root);
  }

  /** Merges a `PUT _mapping` body; a changed field type is refused. */
  merge(mappings: unknown): void {
    const incoming = new Mapping(mappings);
    const next = structuredClone(this.root);
    mergeProperties(next.properties as Json, incoming.root.properties as Json, '');
    if (incoming.root.dynamic !== undefined) next.dynamic = incoming.root.dynamic;
    (this.root as { properties: unknown }).properties = next.properties;
    if (next.dynamic !== undefined) this.root.dynamic = next.dynamic;
    this.rebuild();
  }

  /** The leaf field at a dotted path, multi-fields included (`name.keyword`). */
  field(path: string): FieldInfo | undefined {
    return this.fieldTable.get(path);
  }

  /** Every leaf field. */
  fields(): IterableIterator<FieldInfo> {
    return this.fieldTable.values();
  }

  /** Whether a path is an object or nested field. */
  objectKind(path: string): 'object' | 'nested' | undefined {
    return this.objectPaths.get(path);
  }

  /** Leaf paths matching a pattern with `*` wildcards. */
  matchFields(pattern: string): FieldInfo[] {
    if (!pattern.includes('*')) {
      const info = this.fieldTable.get(pattern);
      return info ? [info] : [];
    }
    const regex = new RegExp(
      `^${pattern
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return [...this.fieldTable.values()].filter((info) => regex.test(info.path));
  }

  private rebuild(): void {
    this.fieldTable = new Map();
    this.objectPaths = new Map();
    const walk = (properties: Json, prefix: string, inNested: boolean) => {
      for (const [name, raw] of Object.entries(properties)) {
        const def = raw as Json;
        const path = prefix ? `${prefix}.${name}` : name;
        const type = typeOf(def);
        if (type === 'object' || type === 'nested') {
          this.objectPaths.set(path, type);
          walk((def.properties as Json | undefined) ?? {}, path, inNested || type === 'nested');
          continue;
        }
        // Fields under a nested object live in hidden sub-documents in OpenSearch, so queries
        // outside a `nested` query never see them; they are left out of the flat table.
        if (inNested) continue;
        this.fieldTable.set(path, leafInfo(path, def));
        for (const [sub, subDef] of Object.entries((def.fields as Json | undefined) ?? {}))
          this.fieldTable.set(`${path}.${sub}`, leafInfo(`${path}.${sub}`, subDef as Json, path));
      }
    };
    walk(this.root.properties as Json, '', false);
  }

  /**
   * Parses a document's source into indexable fields, adding dynamically mapped fields to the
   * mapping only when the whole document parses.
   */
  parse(source: Json, id: string): ParsedDoc {
    const out = new Map<string, ParsedField>();
    const additions: { parent: Json; name: string; def: Json }[] = [];
    const rootDynamic = readDynamic(this.root.dynamic, '_doc') ?? true;
    let changed = false;

    const emit = (info: FieldInfo, value: string | number) => {
      let field = out.get(info.path);
      if (!field) {
        field = { info, values: [] };
        out.set(info.path, field);
      }
      if (info.family === 'text') {
        for (const term of analyzeTerms(value as string)) field.values.push(term);
      } else field.values.push(value);
    };

    const leaf = (def: Json, path: string, raw: unknown, sink: boolean) => {
      const items = Array.isArray(raw) ? raw.flat(Infinity) : [raw];
      const info = this.fieldTable.get(path) ?? leafInfo(path, def);
      const subs = def.fields
        ? Object.entries(def.fields as Json).map(
            ([sub, subDef]) =>
              this.fieldTable.get(`${path}.${sub}`) ??
              leafInfo(`${path}.${sub}`, subDef as Json, path),
          )
        : [];
      for (const item of items) {
        if (item === null) continue;
        if (typeof item === 'object')
          throw failedToParse(info, id, item, 'found an object where a value was expected');
        const value = convertLeaf(info, item, id);
        if (value === undefined) continue;
        const keepMain =
          !(info.ignoreAbove !== undefined && (value as string).length > info.ignoreAbove) &&
          info.indexed;
        if (sink && keepMain) emit(info, value);
        for (const subInfo of subs) {
          const subValue = convertLeaf(subInfo, item, id);
          if (subValue === undefined) continue;
          if (
            subInfo.ignoreAbove !== undefined &&
            typeof subValue === 'string' &&
            subValue.length > subInfo.ignoreAbove
          )
            continue;
          if (sink && subInfo.indexed) emit(subInfo, subValue);
        }
      }
    };

    const walk = (
      object: Json,
      properties: Json,
      prefix: string,
      dynamic: Dynamic,
      attached: boolean,
      sink: boolean,
    ) => {
      for (const [rawKey, value] of Object.entries(object)) {
        if (rawKey.includes('.')) {
          // OpenSearch expands dotted field names into objects.
          const [head, ...rest] = rawKey.split('.');
          walk(
            { [head!]: { [rest.join('.')]: value } },
            properties,
            prefix,
            dynamic,
            attached,
            sink,
          );
          continue;
        }
        if (rawKey === '') throw mapperError('field name cannot be an empty string');
        if (prefix === '' && rawKey.startsWith('_'))
          throw mapperError(
            `Field [${rawKey}] is a metadata field and cannot be added inside a document. Use the index API request parameters.`,
          );
        const path = prefix ? `${prefix}.${rawKey}` : rawKey;
        let def = properties[rawKey] as Json | undefined;
        if (value === null || (Array.isArray(value) && value.length === 0)) continue;
        if (!def) {
          if (dynamic === 'strict')
            throw new OpenSearchApiError(
              400,
              'strict_dynamic_mapping_exception',
              `mapping set to strict, dynamic introduction of [${rawKey}] within [${prefix || '_doc'}] is not allowed`,
            );
          if (dynamic === false) continue;
          const sample = Array.isArray(value)
            ? value.flat(Infinity).find((v) => v !== null)
            : value;
          const inferred = inferDefinition(sample);
          if (!inferred) continue;
          def = inferred;
          if (attached) additions.push({ parent: properties, name: rawKey, def });
          else properties[rawKey] = def;
          changed = true;
        }
        const type = typeOf(def);
        if (type === 'object' || type === 'nested') {
          const items = Array.isArray(value) ? value.flat(Infinity) : [value];
          const childDynamic = readDynamic(def.dynamic, path) ?? dynamic;
          def.properties ??= {};
          for (const item of items) {
            if (item === null) continue;
            if (!isObject(item))
              throw mapperError(
                `object mapping for [${path}] tried to parse field [${rawKey}] as object, but found a concrete value`,
              );
            walk(
              item,
              def.properties as Json,
              path,
              childDynamic,
              attached && properties[rawKey] === def,
              sink && type === 'object',
            );
          }
          continue;
        }
        leaf(def, path, value, sink);
      }
    };

    walk(source, this.root.properties as Json, '', rootDynamic, true, true);
    for (const { parent, name, def } of additions) parent[name] = def;
    if (changed) this.rebuild();
    return [...out.values()];
  }
}
