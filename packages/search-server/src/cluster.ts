import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { flattenSettings, IndexState, type JournalEntry } from './engine.js';
import { illegalArgument, indexNotFound, OpenSearchApiError, unsupported } from './errors.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A stored `_index_template`. */
export interface IndexTemplate {
  readonly index_patterns: string[];
  readonly template?: { settings?: unknown; mappings?: unknown; aliases?: unknown };
  readonly priority?: number;
  readonly version?: number;
  readonly _meta?: unknown;
}

type ClusterJournalEntry =
  | JournalEntry
  | {
      op: 'create';
      name: string;
      uuid: string;
      creationDate: number;
      settings: Json;
      mappings: Json;
    }
  | { op: 'drop'; name: string }
  | { op: 'mapping'; index: string; mappings: Json }
  | { op: 'settings'; index: string; settings: Json }
  | { op: 'aliases'; index: string; aliases: Json }
  | { op: 'template'; name: string; body: IndexTemplate | null };

interface Snapshot {
  templates: Record<string, IndexTemplate>;
  indices: {
    name: string;
    uuid: string;
    creationDate: number;
    settings: Json;
    mappings: Json;
    aliases: Json;
    seqNo: number;
    docs: [string, number, number, Json][];
  }[];
}

/** `*` wildcard match of an index or alias name. */
export const wildcardMatch = (pattern: string, name: string): boolean => {
  if (!pattern.includes('*')) return pattern === name;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(name);
};

/** OpenSearch's index name rules. */
export const validateIndexName = (name: string): void => {
  const invalid = (reason: string) =>
    new OpenSearchApiError(
      400,
      'invalid_index_name_exception',
      `Invalid index name [${name}], ${reason}`,
      {
        index_uuid: '_na_',
        index: name,
      },
    );
  if (name !== name.toLowerCase()) throw invalid('must be lowercase');
  if (/[\\/*?"<>| ,#:]/.test(name))
    throw invalid('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]');
  if (/^[_\-+]/.test(name)) throw invalid("must not start with '_', '-', or '+'");
  if (name === '.' || name === '..') throw invalid("must not be '.' or '..'");
  if (Buffer.byteLength(name) > 255) throw invalid('index name is too long');
};

const deepMerge = (a: unknown, b: unknown): unknown => {
  if (!isObject(a) || !isObject(b)) return b === undefined ? a : b;
  const out: Json = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = deepMerge(a[key], value);
  return out;
};

/** Options of a cluster. */
export interface ClusterOptions {
  readonly dataDirectory?: string;
  readonly gcDeletesMs: number;
  readonly now: () => number;
}

/** All indices, templates and aliases of the server, with their persistence. */
export class Cluster {
  readonly indices = new Map<string, IndexState>();
  readonly templates = new Map<string, IndexTemplate>();
  private journalLines: string[] = [];
  private replaying = false;
  readonly now: () => number;
  private readonly options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.now = options.now;
    if (options.dataDirectory) this.load(options.dataDirectory);
  }

  private journal(entry: ClusterJournalEntry): void {
    if (this.options.dataDirectory && !this.replaying)
      this.journalLines.push(JSON.stringify(entry));
  }

  /** Writes journal entries gathered by the current request. */
  flush(): void {
    if (this.journalLines.length === 0 || !this.options.dataDirectory) return;
    appendFileSync(
      join(this.options.dataDirectory, 'journal.ndjson'),
      `${this.journalLines.join('\n')}\n`,
    );
    this.journalLines = [];
  }

  private environment() {
    return {
      now: this.options.now,
      defaultGcDeletesMs: this.options.gcDeletesMs,
      journal: (entry: JournalEntry) => this.journal(entry),
    };
  }

  /** Creates an index, applying the highest-priority matching template. */
  createIndex(
    name: string,
    body: unknown,
    restore?: { uuid: string; creationDate: number },
  ): IndexState {
    validateIndexName(name);
    if (body !== undefined && body !== null && !isObject(body))
      throw illegalArgument('index body must be an object');
    const request = (body ?? {}) as Json;
    for (const key of Object.keys(request))
      if (!['settings', 'mappings', 'aliases'].includes(key))
        throw new OpenSearchApiError(
          400,
          'parse_exception',
          `unknown key [${key}] for create index`,
        );
    const existing = this.indices.get(name);
    if (existing)
      throw new OpenSearchApiError(
        400,
        'resource_already_exists_exception',
        `index [${name}/${existing.uuid}] already exists`,
        {
          index_uuid: existing.uuid,
          index: name,
        },
      );
    if (this.aliasIndices(name).length > 0)
      throw new OpenSearchApiError(
        400,
        'invalid_index_name_exception',
        `Invalid index name [${name}], already exists as alias`,
        { index: name },
      );
    const template = restore ? undefined : this.matchingTemplate(name)?.template;
    const settings = deepMerge(
      flattenSettings(template?.settings),
      flattenSettings(request.settings),
    );
    const mappings = deepMerge(template?.mappings ?? {}, request.mappings ?? {});
    const aliases = deepMerge(template?.aliases ?? {}, request.aliases ?? {}) as Json;
    const index = new IndexState(
      name,
      { settings, mappings, ...(restore ? restore : {}) },
      this.environment(),
    );
    this.setAliases(index, aliases);
    this.indices.set(name, index);
    this.journal({
      op: 'create',
      name,
      uuid: index.uuid,
      creationDate: index.creationDate,
      settings: index.settings,
      mappings: index.mapping.toJSON(),
    });
    this.journalAliases(index);
    return index;
  }

  private setAliases(index: IndexState, aliases: Json): void {
    for (const [alias, options] of Object.entries(aliases)) {
      const opts = isObject(options) ? options : {};
      for (const key of Object.keys(opts)) {
        if (key !== 'is_write_index') throw unsupported(`alias option ${key}`);
      }
      if (this.indices.has(alias) || alias === index.name)
        throw new OpenSearchApiError(
          400,
          'invalid_alias_name_exception',
          `Invalid alias name [${alias}]: an index or data stream exists with the same name as the alias`,
        );
      index.aliases.set(
        alias,
        opts.is_write_index === undefined ? {} : { isWriteIndex: opts.is_write_index === true },
      );
    }
  }

  private journalAliases(index: IndexState): void {
    this.journal({ op: 'aliases', index: index.name, aliases: Object.fromEntries(index.aliases) });
  }

  /** Deletes indices named by an expression (no aliases, as OpenSearch refuses deleting through one). */
  deleteIndices(expression: string): void {
    const targets = this.resolve(expression, { aliases: false });
    for (const index of targets) {
      this.indices.delete(index.name);
      this.journal({ op: 'drop', name: index.name });
    }
  }

  /** Indices a comma-separated expression of names, aliases and wildcards points at. */
  resolve(
    expression: string,
    options: { aliases?: boolean; ignoreUnavailable?: boolean } = {},
  ): IndexState[] {
    const out = new Map<string, IndexState>();
    for (const part of expression
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      if (part.startsWith('-')) throw unsupported('index exclusion patterns');
      if (part === '_all' || part.includes('*')) {
        const pattern = part === '_all' ? '*' : part;
        for (const index of this.indices.values()) {
          if (wildcardMatch(pattern, index.name)) out.set(index.name, index);
          else if (
            options.aliases !== false &&
            [...index.aliases.keys()].some((alias) => wildcardMatch(pattern, alias))
          )
            out.set(index.name, index);
        }
        continue;
      }
      const index = this.indices.get(part);
      if (index) {
        out.set(part, index);
        continue;
      }
      const viaAlias = options.aliases === false ? [] : this.aliasIndices(part);
      if (viaAlias.length === 0) {
        if (options.ignoreUnavailable) continue;
        throw indexNotFound(part);
      }
      for (const target of viaAlias) out.set(target.name, target);
    }
    return [...out.values()];
  }

  /** Indices that carry an alias. */
  aliasIndices(alias: string): IndexState[] {
    return [...this.indices.values()].filter((index) => index.aliases.has(alias));
  }

  /** The index a write to `name` goes to, creating it when neither an index nor an alias exists. */
  writeIndex(name: string, autoCreate = true): IndexState {
    const index = this.indices.get(name);
    if (index) return index;
    const viaAlias = this.aliasIndices(name);
    if (viaAlias.length > 0) {
      const explicit = viaAlias.filter((target) => target.aliases.get(name)?.isWriteIndex === true);
      if (explicit.length === 1) return explicit[0]!;
      if (viaAlias.length === 1 && viaAlias[0]!.aliases.get(name)?.isWriteIndex !== false)
        return viaAlias[0]!;
      throw illegalArgument(
        `no write index is defined for alias [${name}]. The write index may be explicitly disabled using is_write_index=false or the alias points to multiple indices without one being designated as a write index`,
      );
    }
    if (!autoCreate) throw indexNotFound(name);
    return this.createIndex(name, {});
  }

  /** Applies `PUT _mapping` and records it. */
  putMapping(index: IndexState, mappings: unknown): void {
    index.mapping.merge(mappings);
    this.journal({ op: 'mapping', index: index.name, mappings: index.mapping.toJSON() });
  }

  /** Applies `PUT _settings` and records it. */
  putSettings(index: IndexState, settings: unknown): void {
    index.updateSettings(settings);
    this.journal({ op: 'settings', index: index.name, settings: index.settings });
  }

  /** Applies `POST _aliases` atomically: every action is checked before any is applied. */
  updateAliases(body: unknown): void {
    if (!isObject(body) || !Array.isArray(body.actions))
      throw illegalArgument('[aliases] requires an [actions] array');
    const plan: (() => void)[] = [];
    const touched = new Set<IndexState>();
    for (const action of body.actions) {
      if (!isObject(action) || Object.keys(action).length !== 1)
        throw illegalArgument(
          'each alias action must hold exactly one of [add, remove, remove_index]',
        );
      const [type, raw] = Object.entries(action)[0]!;
      if (!isObject(raw)) throw illegalArgument(`[${type}] must be an object`);
      const names = (single: unknown, many: unknown): string[] =>
        many !== undefined
          ? (many as unknown[]).map(String)
          : single !== undefined
            ? [String(single)]
            : [];
      const indexNames = names(raw.index, raw.indices);
      if (indexNames.length === 0)
        throw new OpenSearchApiError(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: One of [index] or [indices] is required;',
        );
      const targets = indexNames.flatMap((name) => this.resolve(name, { aliases: false }));
      if (type === 'remove_index') {
        for (const target of targets)
          plan.push(
            () =>
              this.indices.delete(target.name) && this.journal({ op: 'drop', name: target.name }),
          );
        continue;
      }
      const aliasNames = names(raw.alias, raw.aliases);
      if (aliasNames.length === 0)
        throw new OpenSearchApiError(
          400,
          'action_request_validation_exception',
          'Validation Failed: 1: [alias] is required;',
        );
      if (type === 'add') {
        for (const key of Object.keys(raw))
          if (!['index', 'indices', 'alias', 'aliases', 'is_write_index'].includes(key))
            throw unsupported(`alias option ${key}`);
        for (const alias of aliasNames) {
          if (this.indices.has(alias))
            throw new OpenSearchApiError(
              400,
              'invalid_alias_name_exception',
              `Invalid alias name [${alias}]: an index or data stream exists with the same name as the alias`,
            );
          for (const target of targets) {
            touched.add(target);
            plan.push(() =>
              target.aliases.set(
                alias,
                raw.is_write_index === undefined
                  ? {}
                  : { isWriteIndex: raw.is_write_index === true },
              ),
            );
          }
        }
      } else if (type === 'remove') {
        for (const alias of aliasNames)
          for (const target of targets) {
            if (!alias.includes('*') && !target.aliases.has(alias))
              throw new OpenSearchApiError(
                404,
                'aliases_not_found_exception',
                `aliases [${alias}] missing`,
                { 'resource.type': 'aliases', 'resource.id': alias },
              );
            touched.add(target);
            plan.push(() => {
              for (const name of [...target.aliases.keys()])
                if (wildcardMatch(alias, name)) target.aliases.delete(name);
            });
          }
      } else throw illegalArgument(`unknown alias action [${type}]`);
    }
    for (const step of plan) step();
    for (const index of touched) if (this.indices.has(index.name)) this.journalAliases(index);
  }

  /** Stores an index template; same-priority overlapping patterns are refused as in OpenSearch. */
  putTemplate(name: string, body: unknown, createOnly: boolean): void {
    if (!isObject(body)) throw illegalArgument('index template body must be an object');
    for (const key of Object.keys(body)) {
      if (key === 'composed_of' && Array.isArray(body.composed_of) && body.composed_of.length === 0)
        continue;
      if (['composed_of', 'data_stream'].includes(key)) throw unsupported(`index template ${key}`);
      if (!['index_patterns', 'template', 'priority', 'version', '_meta'].includes(key))
        throw new OpenSearchApiError(
          400,
          'x_content_parse_exception',
          `[index_template] unknown field [${key}]`,
        );
    }
    const patterns =
      body.index_patterns === undefined
        ? []
        : Array.isArray(body.index_patterns)
          ? body.index_patterns.map(String)
          : [String(body.index_patterns)];
    if (patterns.length === 0)
      throw new OpenSearchApiError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: index patterns are missing;',
      );
    if (createOnly && this.templates.has(name))
      throw illegalArgument(`index template [${name}] already exists`);
    const priority = body.priority === undefined ? 0 : Number(body.priority);
    for (const [other, template] of this.templates) {
      if (other === name || (template.priority ?? 0) !== priority) continue;
      const overlap = template.index_patterns.filter((p) =>
        patterns.some((q) => wildcardMatch(p, q) || wildcardMatch(q, p)),
      );
      if (overlap.length > 0)
        throw illegalArgument(
          `index template [${name}] has index patterns [${patterns.join(', ')}] matching patterns from existing templates [${other}] with patterns (${other} => [${template.index_patterns.join(', ')}]) that have the same priority [${priority}], multiple index templates may not match during index creation, please use a different priority`,
        );
    }
    const template = isObject(body.template) ? body.template : undefined;
    if (template) {
      for (const key of Object.keys(template))
        if (!['settings', 'mappings', 'aliases'].includes(key))
          throw illegalArgument(`unknown template key [${key}]`);
      // Validate now, so a bad template fails here rather than at index creation.
      new IndexState(
        'template-validation',
        { settings: template.settings, mappings: template.mappings },
        this.environment(),
      );
    }
    const stored: IndexTemplate = {
      ...(body as object),
      index_patterns: patterns,
    } as IndexTemplate;
    this.templates.set(name, stored);
    this.journal({ op: 'template', name, body: stored });
  }

  /** Deletes a template. */
  deleteTemplate(name: string): void {
    if (!this.templates.delete(name))
      throw new OpenSearchApiError(
        404,
        'index_template_missing_exception',
        `index_template [${name}] missing`,
      );
    this.journal({ op: 'template', name, body: null });
  }

  private matchingTemplate(name: string): IndexTemplate | undefined {
    let best: IndexTemplate | undefined;
    for (const template of this.templates.values())
      if (
        template.index_patterns.some((pattern) => wildcardMatch(pattern, name)) &&
        (best === undefined || (template.priority ?? 0) > (best.priority ?? 0))
      )
        best = template;
    return best;
  }

  /** Refreshes indices whose refresh interval has elapsed. */
  tick(): void {
    const now = Date.now();
    for (const index of this.indices.values()) {
      const interval = index.refreshIntervalMs;
      if (index.hasPending && interval >= 0 && now - index.lastRefresh >= interval) index.refresh();
    }
  }

  private load(directory: string): void {
    mkdirSync(directory, { recursive: true });
    const snapshotPath = join(directory, 'snapshot.json');
    const journalPath = join(directory, 'journal.ndjson');
    this.replaying = true;
    try {
      if (existsSync(snapshotPath)) {
        const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot;
        for (const [name, template] of Object.entries(snapshot.templates))
          this.templates.set(name, template);
        for (const saved of snapshot.indices) {
          const index = this.createIndex(
            saved.name,
            { settings: saved.settings, mappings: saved.mappings },
            { uuid: saved.uuid, creationDate: saved.creationDate },
          );
          this.setAliases(index, saved.aliases);
          for (const [id, version, seqNo, source] of saved.docs)
            index.restore({ id, version, seqNo, source });
          index.seqNo = Math.max(index.seqNo, saved.seqNo);
        }
      }
      if (existsSync(journalPath)) {
        const lines = readFileSync(journalPath, 'utf8').split('\n');
        for (const line of lines) {
          if (!line.trim()) continue;
          let entry: ClusterJournalEntry;
          try {
            entry = JSON.parse(line) as ClusterJournalEntry;
          } catch {
            // A crash mid-append leaves at most one torn last line; everything before it is intact.
            break;
          }
          this.replay(entry);
        }
      }
      for (const index of this.indices.values()) index.refresh();
    } finally {
      this.replaying = false;
    }
    this.saveSnapshot();
  }

  private replay(entry: ClusterJournalEntry): void {
    switch (entry.op) {
      case 'create':
        this.indices.delete(entry.name);
        this.createIndex(
          entry.name,
          { settings: entry.settings, mappings: entry.mappings },
          { uuid: entry.uuid, creationDate: entry.creationDate },
        );
        return;
      case 'drop':
        this.indices.delete(entry.name);
        return;
      case 'mapping':
        this.indices.get(entry.index)?.mapping.merge(entry.mappings);
        return;
      case 'settings': {
        const index = this.indices.get(entry.index);
        if (index) index.settings = entry.settings as Record<string, string>;
        return;
      }
      case 'aliases': {
        const index = this.indices.get(entry.index);
        if (!index) return;
        index.aliases.clear();
        for (const [alias, options] of Object.entries(entry.aliases))
          index.aliases.set(alias, options as { isWriteIndex?: boolean });
        return;
      }
      case 'template':
        if (entry.body) this.templates.set(entry.name, entry.body);
        else this.templates.delete(entry.name);
        return;
      case 'put':
        this.indices.get(entry.index)?.restore({
          id: entry.id,
          source: entry.source,
          version: entry.version,
          seqNo: entry.seqNo,
        });
        return;
      case 'del':
        this.indices.get(entry.index)?.restore({ id: entry.id, seqNo: entry.seqNo });
        return;
    }
  }

  /** Writes the whole state as one snapshot and empties the journal. */
  saveSnapshot(): void {
    const directory = this.options.dataDirectory;
    if (!directory) return;
    this.flush();
    const snapshot: Snapshot = {
      templates: Object.fromEntries(this.templates),
      indices: [...this.indices.values()].map((index) => ({
        name: index.name,
        uuid: index.uuid,
        creationDate: index.creationDate,
        settings: index.settings,
        mappings: index.mapping.toJSON(),
        aliases: Object.fromEntries(
          [...index.aliases].map(([alias, o]) => [
            alias,
            o.isWriteIndex === undefined ? {} : { is_write_index: o.isWriteIndex },
          ]),
        ),
        seqNo: index.seqNo,
        docs: [...index.docs.values()].map(
          (doc) => [doc.id, doc.version, doc.seqNo, doc.source] as [string, number, number, Json],
        ),
      })),
    };
    const temporary = join(directory, 'snapshot.json.tmp');
    writeFileSync(temporary, JSON.stringify(snapshot));
    renameSync(temporary, join(directory, 'snapshot.json'));
    writeFileSync(join(directory, 'journal.ndjson'), '');
  }
}
