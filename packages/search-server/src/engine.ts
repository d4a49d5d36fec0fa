import { randomBytes, randomUUID } from 'node:crypto';
import { illegalArgument, OpenSearchApiError, unsupported } from './errors.js';
import { Mapping, type ParsedDoc } from './mapping.js';
import { Segment } from './segment.js';

type Json = Record<string, unknown>;

/** A live document: what GET by id returns, before any refresh. */
export interface DocRecord {
  readonly id: string;
  readonly source: Json;
  readonly version: number;
  readonly seqNo: number;
  readonly primaryTerm: number;
  parsed: ParsedDoc | undefined;
}

/** What a delete leaves behind so versioning still sees it, for `index.gc_deletes`. */
interface Tombstone {
  readonly version: number;
  readonly seqNo: number;
  readonly deletedAt: number;
}

/** Concurrency control of one write, from query parameters or bulk metadata. */
export interface WriteControl {
  readonly opType?: 'index' | 'create';
  readonly version?: number;
  readonly versionType?: 'internal' | 'external' | 'external_gte';
  readonly ifSeqNo?: number;
  readonly ifPrimaryTerm?: number;
}

/** The outcome of one write, as the document APIs report it. */
export interface WriteResult {
  readonly id: string;
  readonly result: 'created' | 'updated' | 'deleted' | 'not_found' | 'noop';
  readonly version: number;
  readonly seqNo: number;
  readonly primaryTerm: number;
  readonly status: number;
}

/** One line of the persistence journal. */
export type JournalEntry =
  | { op: 'put'; index: string; id: string; source: Json; version: number; seqNo: number }
  | { op: 'del'; index: string; id: string; seqNo: number };

const PRIMARY_TERM = 1;

const settingDefaults: Record<string, string> = {
  'index.number_of_shards': '1',
  'index.number_of_replicas': '1',
  'index.refresh_interval': '1s',
  'index.max_result_window': '10000',
};
const dynamicSettings = new Set([
  'index.number_of_replicas',
  'index.refresh_interval',
  'index.gc_deletes',
  'index.max_result_window',
]);
const staticSettings = new Set(['index.number_of_shards']);

/** Flattens `{ index: { refresh_interval: '1s' } }` or `{ refresh_interval }` into `index.*` keys. */
export const flattenSettings = (settings: unknown): Record<string, string> => {
  const flat: Record<string, string> = {};
  const walk = (value: unknown, prefix: string) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value))
        walk(child, prefix ? `${prefix}.${key}` : key);
      return;
    }
    const key = prefix.startsWith('index.') ? prefix : `index.${prefix}`;
    flat[key] = String(value);
  };
  walk(settings ?? {}, '');
  return flat;
};

/** Reads a time value such as `60s`, `1m`, `500ms` or `-1`; the result is in milliseconds. */
export const parseTimeValue = (text: string, setting: string): number => {
  if (text === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)(nanos|micros|ms|s|m|h|d)$/.exec(text);
  if (!m)
    throw illegalArgument(
      `failed to parse setting [${setting}] with value [${text}] as a time value: unit is missing or unrecognized`,
    );
  const factor = {
    nanos: 1e-6,
    micros: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
    d: 86_400_000,
  }[m[2] as 'ms'];
  return Number(m[1]) * factor;
};

const validateSettings = (flat: Record<string, string>, creating: boolean): void => {
  for (const [key, value] of Object.entries(flat)) {
    if (key.startsWith('index.analysis')) throw unsupported(`setting ${key} (custom analysis)`);
    if (!dynamicSettings.has(key) && !staticSettings.has(key))
      throw unsupported(`index setting ${key}`);
    if (!creating && staticSettings.has(key))
      throw illegalArgument(`Can't update non dynamic settings [[${key}]] for open indices`);
    if (key === 'index.refresh_interval' || key === 'index.gc_deletes') parseTimeValue(value, key);
    else if (!/^\d+$/.test(value))
      throw illegalArgument(`Failed to parse value [${value}] for setting [${key}]`);
  }
};

const conflict = (index: IndexState, id: string, reason: string) =>
  new OpenSearchApiError(
    409,
    'version_conflict_engine_exception',
    `[${id}]: version conflict, ${reason}`,
    {
      index_uuid: index.uuid,
      shard: '0',
      index: index.name,
    },
  );

const validationError = (reason: string) =>
  new OpenSearchApiError(
    400,
    'action_request_validation_exception',
    `Validation Failed: 1: ${reason};`,
  );

/** An auto-generated document id, 20 URL-safe characters like OpenSearch's. */
export const generateId = (): string => randomBytes(15).toString('base64url');

const isPlainObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `_update`'s partial-document merge: objects merge recursively, everything else is replaced. */
export const mergeDocument = (target: Json, patch: Json): Json => {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? mergeDocument(current, value) : value;
  }
  return out;
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Options an index needs from the server. */
export interface IndexEnvironment {
  readonly now: () => number;
  readonly defaultGcDeletesMs: number;
  readonly journal: (entry: JournalEntry) => void;
}

/** One index: live documents with versions, and the searchable segment as of the last refresh. */
export class IndexState {
  readonly name: string;
  readonly uuid: string;
  readonly creationDate: number;
  readonly mapping: Mapping;
  settings: Record<string, string>;
  readonly aliases = new Map<string, { isWriteIndex?: boolean }>();
  readonly docs = new Map<string, DocRecord>();
  private readonly tombstones = new Map<string, Tombstone>();
  private pending = new Map<string, DocRecord | null>();
  segment = new Segment();
  seqNo = -1;
  lastRefresh = Date.now();
  private readonly env: IndexEnvironment;

  constructor(
    name: string,
    body: { settings?: unknown; mappings?: unknown; uuid?: string; creationDate?: number },
    env: IndexEnvironment,
  ) {
    const flat = flattenSettings(body.settings);
    for (const key of [
      'index.uuid',
      'index.creation_date',
      'index.provided_name',
      'index.version.created',
    ])
      delete flat[key];
    validateSettings(flat, true);
    this.name = name;
    this.uuid = body.uuid ?? randomUUID().replaceAll('-', '').slice(0, 22);
    this.creationDate = body.creationDate ?? Date.now();
    this.settings = { ...settingDefaults, ...flat };
    this.mapping = new Mapping(body.mappings ?? {});
    this.env = env;
  }

  /** `GET /<index>/_settings` shape: nested, string values. */
  settingsJson(): Json {
    const nested: Json = {};
    const all: Record<string, string> = {
      ...this.settings,
      'index.uuid': this.uuid,
      'index.creation_date': String(this.creationDate),
      'index.provided_name': this.name,
      'index.version.created': '136387927',
    };
    for (const [key, value] of Object.entries(all)) {
      const parts = key.split('.');
      let node = nested;
      for (const part of parts.slice(0, -1)) {
        node[part] ??= {};
        node = node[part] as Json;
      }
      node[parts[parts.length - 1]!] = value;
    }
    return nested;
  }

  /** Applies `PUT /<index>/_settings`. */
  updateSettings(body: unknown): void {
    const flat = flattenSettings(body);
    validateSettings(flat, false);
    this.settings = { ...this.settings, ...flat };
  }

  /** Milliseconds a delete's version is remembered. */
  get gcDeletesMs(): number {
    const raw = this.settings['index.gc_deletes'];
    return raw === undefined
      ? this.env.defaultGcDeletesMs
      : parseTimeValue(raw, 'index.gc_deletes');
  }

  /** Milliseconds between automatic refreshes; -1 when disabled. */
  get refreshIntervalMs(): number {
    return parseTimeValue(
      this.settings['index.refresh_interval'] ?? '1s',
      'index.refresh_interval',
    );
  }

  /** `index.max_result_window`. */
  get maxResultWindow(): number {
    return Number(this.settings['index.max_result_window'] ?? 10000);
  }

  /** Whether writes are waiting for a refresh. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  private liveTombstone(id: string): Tombstone | undefined {
    const tombstone = this.tombstones.get(id);
    if (!tombstone) return undefined;
    if (this.env.now() - tombstone.deletedAt >= this.gcDeletesMs) {
      this.tombstones.delete(id);
      return undefined;
    }
    return tombstone;
  }

  private nextVersion(id: string, control: WriteControl, existing: DocRecord | undefined): number {
    const type = control.versionType ?? 'internal';
    const current = existing?.version ?? this.liveTombstone(id)?.version;
    if (control.ifSeqNo !== undefined || control.ifPrimaryTerm !== undefined) {
      if (control.ifSeqNo === undefined || control.ifPrimaryTerm === undefined)
        throw validationError('ifSeqNo is set, but primary term is [0]');
      if (!existing)
        throw conflict(
          this,
          id,
          `required seqNo [${control.ifSeqNo}], primary term [${control.ifPrimaryTerm}]. but no document was found`,
        );
      if (existing.seqNo !== control.ifSeqNo || existing.primaryTerm !== control.ifPrimaryTerm)
        throw conflict(
          this,
          id,
          `required seqNo [${control.ifSeqNo}], primary term [${control.ifPrimaryTerm}]. current document has seqNo [${existing.seqNo}] and primary term [${existing.primaryTerm}]`,
        );
    }
    if (type === 'internal') return (current ?? 0) + 1;
    const version = control.version!;
    if (type === 'external' && current !== undefined && current >= version)
      throw conflict(
        this,
        id,
        `current version [${current}] is higher or equal to the one provided [${version}]`,
      );
    if (type === 'external_gte' && current !== undefined && current > version)
      throw conflict(
        this,
        id,
        `current version [${current}] is higher than the one provided [${version}]`,
      );
    return version;
  }

  /** Validates version parameters the way OpenSearch's request validation does. */
  static validateControl(control: WriteControl, isDelete: boolean): void {
    const type = control.versionType ?? 'internal';
    if (control.version !== undefined) {
      if (!Number.isSafeInteger(control.version) || control.version < 0)
        throw validationError(
          `illegal version value [${control.version}] for version type [${type}]`,
        );
      if (type === 'internal')
        throw validationError(
          'internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead',
        );
    } else if (type !== 'internal')
      throw validationError(`illegal version value [-3] for version type [${type.toUpperCase()}]`);
    if (type !== 'internal' && control.ifSeqNo !== undefined)
      throw validationError(
        'compare and write operations can not be used with version type [external]',
      );
    if (!isDelete && control.opType === 'create' && type !== 'internal')
      throw validationError(
        'create operations only support internal versioning. use index instead',
      );
  }

  /** Indexes a document (index or create). */
  index(id: string | undefined, source: unknown, control: WriteControl): WriteResult {
    IndexState.validateControl(control, false);
    if (!isPlainObject(source))
      throw new OpenSearchApiError(
        400,
        'mapper_parsing_exception',
        'failed to parse, document is empty',
      );
    const docId = id ?? generateId();
    if (docId.length > 512)
      throw validationError(
        `id [${docId}] is too long, must be no longer than 512 bytes but was: ${docId.length}`,
      );
    const existing = this.docs.get(docId);
    if (control.opType === 'create' && existing)
      throw conflict(
        this,
        docId,
        `document already exists (current version [${existing.version}])`,
      );
    const version = this.nextVersion(docId, control, existing);
    const parsed = this.mapping.parse(source, docId);
    return this.commitPut(docId, source, version, parsed, existing === undefined);
  }

  private commitPut(
    id: string,
    source: Json,
    version: number,
    parsed: ParsedDoc,
    created: boolean,
  ): WriteResult {
    const seqNo = ++this.seqNo;
    const record: DocRecord = { id, source, version, seqNo, primaryTerm: PRIMARY_TERM, parsed };
    this.docs.set(id, record);
    this.tombstones.delete(id);
    this.pending.set(id, record);
    this.env.journal({ op: 'put', index: this.name, id, source, version, seqNo });
    return {
      id,
      result: created ? 'created' : 'updated',
      version,
      seqNo,
      primaryTerm: PRIMARY_TERM,
      status: created ? 201 : 200,
    };
  }

  /** Deletes a document; a missing one still records the version, as OpenSearch does. */
  delete(id: string, control: WriteControl): WriteResult {
    IndexState.validateControl(control, true);
    const existing = this.docs.get(id);
    const version = this.nextVersion(id, control, existing);
    const seqNo = ++this.seqNo;
    this.docs.delete(id);
    this.tombstones.set(id, { version, seqNo, deletedAt: this.env.now() });
    if (existing) this.pending.set(id, null);
    this.env.journal({ op: 'del', index: this.name, id, seqNo });
    return {
      id,
      result: existing ? 'deleted' : 'not_found',
      version,
      seqNo,
      primaryTerm: PRIMARY_TERM,
      status: existing ? 200 : 404,
    };
  }

  /** `_update` with a partial `doc`, `upsert` or `doc_as_upsert`. */
  update(id: string, body: Json, control: WriteControl): WriteResult & { source: Json } {
    for (const key of Object.keys(body)) {
      if (key === 'script' || key === 'scripted_upsert') throw unsupported(`update with ${key}`);
      if (!['doc', 'doc_as_upsert', 'upsert', 'detect_noop', '_source'].includes(key))
        throw new OpenSearchApiError(
          400,
          'x_content_parse_exception',
          `[UpdateRequest] unknown field [${key}]`,
        );
    }
    if (control.version !== undefined || (control.versionType ?? 'internal') !== 'internal')
      throw validationError("can't provide version in update request");
    if (body.doc === undefined && body.upsert === undefined)
      throw validationError('script or doc is missing');
    if (body.doc !== undefined && !isPlainObject(body.doc))
      throw new OpenSearchApiError(
        400,
        'x_content_parse_exception',
        '[UpdateRequest] failed to parse field [doc]',
      );
    const existing = this.docs.get(id);
    if (!existing) {
      if (control.ifSeqNo !== undefined) this.nextVersion(id, control, undefined);
      const upsert = body.doc_as_upsert === true ? body.doc : body.upsert;
      if (upsert === undefined)
        throw new OpenSearchApiError(
          404,
          'document_missing_exception',
          `[${id}]: document missing`,
          {
            index_uuid: this.uuid,
            shard: '0',
            index: this.name,
          },
        );
      const written = this.index(id, upsert, {});
      return { ...written, source: upsert as Json };
    }
    const merged = mergeDocument(existing.source, (body.doc as Json | undefined) ?? {});
    if (body.detect_noop !== false && sameJson(merged, existing.source)) {
      this.nextVersion(id, control, existing);
      return {
        id,
        result: 'noop',
        version: existing.version,
        seqNo: existing.seqNo,
        primaryTerm: existing.primaryTerm,
        status: 200,
        source: existing.source,
      };
    }
    const version = this.nextVersion(id, control, existing);
    const parsed = this.mapping.parse(merged, id);
    return { ...this.commitPut(id, merged, version, parsed, false), source: merged };
  }

  /** Realtime GET by id. */
  get(id: string): DocRecord | undefined {
    return this.docs.get(id);
  }

  /** Makes every write so far visible to search. */
  refresh(): void {
    this.lastRefresh = Date.now();
    if (this.pending.size > 0) {
      for (const [id, record] of this.pending) {
        if (record === null) this.segment.remove(id);
        else {
          this.segment.add(
            id,
            record.source,
            record.parsed ?? this.mapping.parse(record.source, id),
          );
          record.parsed = undefined;
        }
      }
      this.pending = new Map();
      // Lucene merges segments away from deleted documents; rebuilding does the same here.
      const segment = this.segment;
      if (segment.deletedCount > 1000 && segment.deletedCount > segment.liveCount) this.rebuild();
    }
    const now = this.env.now();
    const gc = this.gcDeletesMs;
    for (const [id, tombstone] of this.tombstones)
      if (now - tombstone.deletedAt >= gc) this.tombstones.delete(id);
  }

  private rebuild(): void {
    const segment = new Segment();
    for (const record of this.docs.values())
      segment.add(record.id, record.source, this.mapping.parse(record.source, record.id));
    this.segment = segment;
  }

  /** Replays a journal or snapshot entry without version checks. */
  restore(entry: { id: string; source?: Json; version?: number; seqNo: number }): void {
    this.seqNo = Math.max(this.seqNo, entry.seqNo);
    if (entry.source === undefined) {
      if (this.docs.delete(entry.id)) this.pending.set(entry.id, null);
      return;
    }
    const parsed = this.mapping.parse(entry.source, entry.id);
    const record: DocRecord = {
      id: entry.id,
      source: entry.source,
      version: entry.version ?? 1,
      seqNo: entry.seqNo,
      primaryTerm: PRIMARY_TERM,
      parsed,
    };
    this.docs.set(entry.id, record);
    this.pending.set(entry.id, record);
  }
}
