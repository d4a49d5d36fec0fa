import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { Cluster } from './cluster.js';
import type { IndexState, WriteControl, WriteResult } from './engine.js';
import { illegalArgument, indexNotFound, OpenSearchApiError, unsupported } from './errors.js';
import { count, filterSource, matchingDocs, parseSourceFilter, search } from './search.js';

type Json = Record<string, unknown>;

/** The largest request body accepted, as on Amazon OpenSearch Service. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parameters every endpoint tolerates because they do not change the answer on one node. */
const harmlessParams = new Set([
  'pretty',
  'human',
  'error_trace',
  'timeout',
  'master_timeout',
  'cluster_manager_timeout',
  'wait_for_active_shards',
  'request_cache',
  'allow_partial_search_results',
  'batched_reduce_size',
  'ccs_minimize_roundtrips',
  'max_concurrent_shard_requests',
  'pre_filter_shard_size',
  'preference',
  'local',
  'flat_settings_ignored',
]);
const unsupportedParams = new Set([
  'routing',
  'pipeline',
  'filter_path',
  'require_alias',
  'typed_keys',
  'q',
  'scroll',
  'stored_fields',
  'df',
  'analyzer',
  'default_operator',
  'lenient',
  'explain',
  'terminate_after',
  'search_pipeline',
  'flat_settings',
  'include_defaults',
  'docvalue_fields',
  'version',
  'version_type',
  'if_seq_no',
  'if_primary_term',
]);

/** Query-string parameters; whatever a handler does not read is refused. */
class Params {
  private readonly used = new Set<string>();
  constructor(
    private readonly query: URLSearchParams,
    private readonly path: string,
  ) {}
  string(name: string): string | undefined {
    this.used.add(name);
    return this.query.get(name) ?? undefined;
  }
  bool(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (value === '' || value === 'true') return true;
    if (value === 'false') return false;
    throw illegalArgument(
      `Failed to parse value [${value}] as only [true] or [false] are allowed.`,
    );
  }
  int(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n))
      throw illegalArgument(`Failed to parse int parameter [${name}] with value [${value}]`);
    return n;
  }
  list(name: string): string[] | undefined {
    return this.string(name)?.split(',').filter(Boolean);
  }
  /** Refuses parameters no handler read. */
  done(): void {
    for (const name of this.query.keys()) {
      if (this.used.has(name) || harmlessParams.has(name)) continue;
      if (unsupportedParams.has(name)) throw unsupported(`parameter ${name}`);
      throw illegalArgument(`request [${this.path}] contains unrecognized parameter: [${name}]`);
    }
  }
}

/** A parsed request, handed to route handlers. */
interface Request {
  readonly method: string;
  readonly path: string;
  readonly segments: string[];
  readonly params: Params;
  readonly body: string;
}

/** A handler's answer. */
interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
}

const ok = (body: unknown, status = 200): Reply => ({ status, body });

const parseJson = (text: string, type = 'x_content_parse_exception'): unknown => {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OpenSearchApiError(
      400,
      type,
      `Failed to parse JSON: ${(error as Error).message}`,
      {},
      { cause: error },
    );
  }
};

const jsonBody = (request: Request, type?: string): unknown => parseJson(request.body, type);

const requireBody = (request: Request): Json => {
  const body = jsonBody(request);
  if (body === undefined)
    throw new OpenSearchApiError(400, 'parse_exception', 'request body is required');
  if (!isObject(body))
    throw new OpenSearchApiError(400, 'parse_exception', 'request body must be a JSON object');
  return body;
};

const refreshMode = (params: Params): 'true' | 'false' | 'wait_for' => {
  const value = params.string('refresh');
  if (value === undefined || value === 'false') return 'false';
  if (value === '' || value === 'true') return 'true';
  if (value === 'wait_for') return 'wait_for';
  throw illegalArgument(`Unknown value for refresh: [${value}].`);
};

const numberParam = (value: unknown, name: string): number | undefined => {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n))
    throw illegalArgument(`Failed to parse [${name}] with value [${String(value)}]`);
  return n;
};

const versionType = (value: unknown): WriteControl['versionType'] => {
  if (value === undefined) return undefined;
  if (value === 'internal' || value === 'external' || value === 'external_gte') return value;
  if (value === 'force') throw unsupported('version_type force');
  throw illegalArgument(`No version type match [${String(value)}]`);
};

const controlFromParams = (params: Params, opType?: 'index' | 'create'): WriteControl => {
  const control: { -readonly [K in keyof WriteControl]: WriteControl[K] } = {};
  const op = params.string('op_type') ?? opType;
  if (op !== undefined) {
    if (op !== 'index' && op !== 'create')
      throw illegalArgument(`opType must be 'create' or 'index', found: [${op}]`);
    control.opType = op;
  }
  const version = numberParam(params.string('version'), 'version');
  if (version !== undefined) control.version = version;
  const type = versionType(params.string('version_type'));
  if (type) control.versionType = type;
  const seqNo = numberParam(params.string('if_seq_no'), 'if_seq_no');
  if (seqNo !== undefined) control.ifSeqNo = seqNo;
  const term = numberParam(params.string('if_primary_term'), 'if_primary_term');
  if (term !== undefined) control.ifPrimaryTerm = term;
  return control;
};

const shardsOf = (index: IndexState, result: WriteResult) =>
  result.result === 'noop'
    ? { total: 0, successful: 0, failed: 0 }
    : {
        total: 1 + Number(index.settings['index.number_of_replicas'] ?? 1),
        successful: 1,
        failed: 0,
      };

const writeReply = (index: IndexState, result: WriteResult, refreshed: boolean): Json => ({
  _index: index.name,
  _id: result.id,
  _version: result.version,
  result: result.result,
  ...(refreshed ? { forced_refresh: true } : {}),
  _shards: shardsOf(index, result),
  _seq_no: result.seqNo,
  _primary_term: result.primaryTerm,
});

const afterWrite = (index: IndexState, mode: 'true' | 'false' | 'wait_for'): boolean => {
  // wait_for is answered once the change is searchable; refreshing now gives the same guarantee.
  if (mode !== 'false') index.refresh();
  return mode === 'true';
};

const errorItem = (index: string, id: string | undefined, error: unknown) => {
  const e =
    error instanceof OpenSearchApiError
      ? error
      : new OpenSearchApiError(500, 'exception', String(error));
  return {
    _index: index,
    ...(id !== undefined ? { _id: id } : {}),
    status: e.status,
    error: { type: e.type, reason: e.reason, ...e.details },
  };
};

const bulkMetadataKeys = new Set([
  '_index',
  '_id',
  'version',
  'version_type',
  'if_seq_no',
  'if_primary_term',
  'retry_on_conflict',
  'op_type',
]);

const bulk = (cluster: Cluster, request: Request, defaultIndex: string | undefined): Reply => {
  const started = Date.now();
  const mode = refreshMode(request.params);
  request.params.string('_source');
  request.params.done();
  const text = request.body;
  if (text.length === 0)
    throw new OpenSearchApiError(
      400,
      'action_request_validation_exception',
      'Validation Failed: 1: no requests added;',
    );
  if (!text.endsWith('\n'))
    throw illegalArgument('The bulk request must be terminated by a newline [\\n]');
  const lines = text.split('\n');
  lines.pop();
  type Op = { action: string; meta: Json; source?: string; line: number };
  const ops: Op[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw illegalArgument(
        `Malformed action/metadata line [${i + 1}], expected START_OBJECT but found [VALUE_STRING]`,
      );
    }
    if (!isObject(parsed))
      throw illegalArgument(`Malformed action/metadata line [${i + 1}], expected START_OBJECT`);
    const keys = Object.keys(parsed);
    const action = keys[0];
    if (keys.length !== 1 || !['index', 'create', 'update', 'delete'].includes(action!))
      throw illegalArgument(
        `Malformed action/metadata line [${i + 1}], expected field [create], [delete], [index] or [update] but found [${action}]`,
      );
    const meta = parsed[action!];
    if (!isObject(meta))
      throw illegalArgument(`Malformed action/metadata line [${i + 1}], expected START_OBJECT`);
    for (const key of Object.keys(meta)) {
      if (['routing', 'pipeline', 'require_alias', '_source', 'dynamic_templates'].includes(key))
        throw unsupported(`bulk metadata ${key}`);
      if (!bulkMetadataKeys.has(key))
        throw illegalArgument(
          `Action/metadata line [${i + 1}] contains an unknown parameter [${key}]`,
        );
    }
    if (meta._index === undefined && defaultIndex === undefined)
      throw new OpenSearchApiError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: index is missing;',
      );
    const op: Op = { action: action!, meta, line: i + 1 };
    if (action !== 'delete') {
      const source = lines[++i];
      if (source === undefined)
        throw illegalArgument(`The bulk request must be terminated by a newline [\\n]`);
      op.source = source;
      if (action === 'update') parseJson(source, 'illegal_argument_exception');
    }
    ops.push(op);
  }
  const touched = new Set<IndexState>();
  const items = ops.map((op) => {
    const indexName = String(op.meta._index ?? defaultIndex);
    const id = op.meta._id === undefined ? undefined : String(op.meta._id);
    try {
      const control: { -readonly [K in keyof WriteControl]: WriteControl[K] } = {};
      const version = numberParam(op.meta.version, 'version');
      if (version !== undefined) control.version = version;
      const type = versionType(op.meta.version_type);
      if (type) control.versionType = type;
      const seqNo = numberParam(op.meta.if_seq_no, 'if_seq_no');
      if (seqNo !== undefined) control.ifSeqNo = seqNo;
      const term = numberParam(op.meta.if_primary_term, 'if_primary_term');
      if (term !== undefined) control.ifPrimaryTerm = term;
      let index: IndexState;
      let result: WriteResult;
      if (op.action === 'delete') {
        if (id === undefined)
          throw new OpenSearchApiError(
            400,
            'action_request_validation_exception',
            'Validation Failed: 1: id is missing;',
          );
        index = cluster.writeIndex(indexName, false);
        result = index.delete(id, control);
      } else {
        index = cluster.writeIndex(indexName, true);
        const source = parseJson(op.source!, 'mapper_parsing_exception');
        if (op.action === 'update') {
          if (id === undefined)
            throw new OpenSearchApiError(
              400,
              'action_request_validation_exception',
              'Validation Failed: 1: id is missing;',
            );
          if (!isObject(source)) throw illegalArgument('update body must be an object');
          result = index.update(id, source, control);
        } else {
          if (op.action === 'create') control.opType = 'create';
          else if (op.meta.op_type === 'create') control.opType = 'create';
          result = index.index(id, source, control);
        }
      }
      touched.add(index);
      return { [op.action]: { ...writeReply(index, result, false), status: result.status } };
    } catch (error) {
      if (!(error instanceof OpenSearchApiError)) throw error;
      const resolved = cluster.indices.get(indexName);
      return { [op.action]: errorItem(resolved?.name ?? indexName, id, error) };
    }
  });
  for (const index of touched) afterWrite(index, mode);
  const errors = items.some((item) => 'error' in (Object.values(item)[0] as Json));
  return ok({ took: Date.now() - started, errors, items });
};

const catIndices = (cluster: Cluster, request: Request, expression: string | undefined): Reply => {
  const format = request.params.string('format');
  const verbose = request.params.bool('v');
  request.params.string('expand_wildcards');
  request.params.done();
  const indices = expression ? cluster.resolve(expression) : [...cluster.indices.values()];
  const rows = indices.map((index) => {
    const replicas = Number(index.settings['index.number_of_replicas'] ?? 1);
    const size = `${Math.round((JSON.stringify([...index.docs.values()].slice(0, 50).map((d) => d.source)).length * Math.max(1, index.docs.size / 50)) / 1024)}kb`;
    return {
      health: replicas > 0 ? 'yellow' : 'green',
      status: 'open',
      index: index.name,
      uuid: index.uuid,
      pri: index.settings['index.number_of_shards'] ?? '1',
      rep: String(replicas),
      'docs.count': String(index.segment.liveCount),
      'docs.deleted': String(index.segment.deletedCount),
      'store.size': size,
      'pri.store.size': size,
    };
  });
  if (format === 'json') return ok(rows);
  if (format !== undefined && format !== 'txt' && format !== 'text')
    throw unsupported(`_cat format ${format}`);
  const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
  const lines = rows.map((row) => Object.values(row).join(' '));
  if (verbose) lines.unshift(columns.join(' '));
  return { status: 200, text: lines.map((line) => `${line}\n`).join('') };
};

const aliasesJson = (index: IndexState): Json =>
  Object.fromEntries(
    [...index.aliases].map(([alias, o]) => [
      alias,
      o.isWriteIndex === undefined ? {} : { is_write_index: o.isWriteIndex },
    ]),
  );

const getAliases = (
  cluster: Cluster,
  request: Request,
  indexExpr: string | undefined,
  name: string | undefined,
): Reply => {
  request.params.done();
  const indices = indexExpr ? cluster.resolve(indexExpr) : [...cluster.indices.values()];
  const patterns = name?.split(',');
  const out: Json = {};
  let found = false;
  for (const index of indices) {
    const aliases = Object.fromEntries(
      Object.entries(aliasesJson(index)).filter(
        ([alias]) =>
          !patterns ||
          patterns.some(
            (p) =>
              p === '*' ||
              p === '_all' ||
              (p.includes('*')
                ? new RegExp(`^${p.replaceAll('*', '.*')}$`).test(alias)
                : p === alias),
          ),
      ),
    );
    if (Object.keys(aliases).length > 0) found = true;
    if (!patterns || Object.keys(aliases).length > 0) out[index.name] = { aliases };
  }
  if (patterns && !found && !patterns.some((p) => p.includes('*')))
    return { status: 404, body: { error: `alias [${name}] missing`, status: 404 } };
  return ok(out);
};

const searchParams = (params: Params) => {
  const trackTotalHits = params.string('track_total_hits');
  const source = params.string('_source');
  const searchType = params.string('search_type');
  if (searchType !== undefined && searchType !== 'query_then_fetch')
    throw unsupported(`search_type ${searchType}`);
  const expand = params.string('expand_wildcards');
  if (expand !== undefined && expand !== 'open' && expand !== 'all')
    throw unsupported(`expand_wildcards ${expand}`);
  const size = params.int('size');
  const from = params.int('from');
  const sort = params.string('sort');
  const includes = params.list('_source_includes');
  const excludes = params.list('_source_excludes');
  const restTotal = params.bool('rest_total_hits_as_int');
  return {
    ...(size !== undefined ? { size } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(sort !== undefined ? { sort } : {}),
    ...(source !== undefined
      ? { source: source === 'true' ? true : source === 'false' ? false : source.split(',') }
      : {}),
    ...(includes ? { sourceIncludes: includes } : {}),
    ...(excludes ? { sourceExcludes: excludes } : {}),
    ...(trackTotalHits !== undefined
      ? {
          trackTotalHits:
            trackTotalHits === 'true' || trackTotalHits === ''
              ? true
              : trackTotalHits === 'false'
                ? false
                : Number(trackTotalHits),
        }
      : {}),
    ...(restTotal ? { restTotalHitsAsInt: true, trackTotalHits: true } : {}),
  };
};

const searchTargets = (
  cluster: Cluster,
  params: Params,
  expression: string | undefined,
): IndexState[] => {
  const ignoreUnavailable = params.bool('ignore_unavailable') ?? false;
  const allowNoIndices = params.bool('allow_no_indices') ?? true;
  const targets = cluster.resolve(expression ?? '_all', { ignoreUnavailable });
  if (targets.length === 0 && !allowNoIndices) throw indexNotFound(expression ?? '_all');
  return targets;
};

const clusterInfo = (): Json => ({
  name: 'search-server',
  cluster_name: 'search-server-local',
  cluster_uuid: 'local-search-server-000',
  version: {
    distribution: 'opensearch',
    number: '2.19.0',
    build_type: 'tar',
    build_hash: 'local',
    build_date: '2025-01-01T00:00:00.000Z',
    build_snapshot: false,
    lucene_version: '9.12.1',
    minimum_wire_compatibility_version: '7.10.0',
    minimum_index_compatibility_version: '7.0.0',
  },
  tagline: 'The OpenSearch Project: https://opensearch.org/',
});

const templateJson = (name: string, template: Json): Json => ({
  name,
  index_template: { composed_of: [], ...template },
});

const methodNotAllowed = (request: Request, allowed: string[]): Reply => ({
  status: 405,
  body: {
    error: `Incorrect HTTP method for uri [${request.path}] and method [${request.method}], allowed: [${allowed.join(', ')}]`,
    status: 405,
  },
});

const documentRoute = (
  cluster: Cluster,
  request: Request,
  indexName: string,
  endpoint: string,
  id: string | undefined,
): Reply => {
  const { method, params } = request;
  if (
    (endpoint === '_doc' && id === undefined && method === 'POST') ||
    ((endpoint === '_doc' || endpoint === '_create') &&
      id !== undefined &&
      (method === 'PUT' || method === 'POST'))
  ) {
    const control = controlFromParams(params, endpoint === '_create' ? 'create' : undefined);
    const mode = refreshMode(params);
    params.done();
    const source = parseJson(request.body, 'mapper_parsing_exception');
    if (source === undefined)
      throw new OpenSearchApiError(
        400,
        'action_request_validation_exception',
        'Validation Failed: 1: source is missing;',
      );
    const index = cluster.writeIndex(indexName);
    const result = index.index(id, source, control);
    return ok(writeReply(index, result, afterWrite(index, mode)), result.status);
  }
  if (endpoint === '_doc' && id !== undefined && (method === 'GET' || method === 'HEAD')) {
    const source = params.string('_source');
    const includes = params.list('_source_includes') ?? [];
    const excludes = params.list('_source_excludes') ?? [];
    const realtime = params.bool('realtime');
    if (realtime === false) throw unsupported('realtime=false');
    const refresh = params.bool('refresh');
    params.done();
    const index = cluster.resolve(indexName)[0];
    if (!index) throw indexNotFound(indexName);
    if (refresh) index.refresh();
    const record = index.get(id);
    if (!record) return { status: 404, body: { _index: index.name, _id: id, found: false } };
    const filter = parseSourceFilter(
      source === undefined
        ? undefined
        : source === 'true'
          ? true
          : source === 'false'
            ? false
            : source.split(','),
    );
    filter.includes.push(...includes);
    filter.excludes.push(...excludes);
    return ok({
      _index: index.name,
      _id: id,
      _version: record.version,
      _seq_no: record.seqNo,
      _primary_term: record.primaryTerm,
      found: true,
      ...(filter.enabled
        ? {
            _source:
              filter.includes.length + filter.excludes.length > 0
                ? filterSource(record.source, filter.includes, filter.excludes)
                : record.source,
          }
        : {}),
    });
  }
  if (endpoint === '_source' && id !== undefined && (method === 'GET' || method === 'HEAD')) {
    params.done();
    const index = cluster.resolve(indexName)[0];
    if (!index) throw indexNotFound(indexName);
    const record = index.get(id);
    if (!record)
      throw new OpenSearchApiError(
        404,
        'resource_not_found_exception',
        `Document not found [${index.name}]/[${id}]`,
      );
    return ok(record.source);
  }
  if (endpoint === '_doc' && id !== undefined && method === 'DELETE') {
    const control = controlFromParams(params);
    const mode = refreshMode(params);
    params.done();
    const index = cluster.writeIndex(indexName, false);
    const result = index.delete(id, control);
    return ok(writeReply(index, result, afterWrite(index, mode)), result.status);
  }
  if (endpoint === '_update' && id !== undefined && method === 'POST') {
    const control = controlFromParams(params);
    const mode = refreshMode(params);
    params.int('retry_on_conflict');
    params.done();
    const body = requireBody(request);
    const index = cluster.writeIndex(indexName);
    const result = index.update(id, body, control);
    return ok(writeReply(index, result, afterWrite(index, mode)), result.status);
  }
  return methodNotAllowed(
    request,
    endpoint === '_update' ? ['POST'] : ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
  );
};

const indexRoute = (
  cluster: Cluster,
  request: Request,
  indexName: string,
  endpoint: string | undefined,
  rest: string[],
): Reply => {
  const { method, params } = request;
  switch (endpoint) {
    case undefined: {
      if (method === 'PUT') {
        params.done();
        const index = cluster.createIndex(indexName, jsonBody(request));
        return ok({ acknowledged: true, shards_acknowledged: true, index: index.name });
      }
      if (method === 'HEAD') {
        params.bool('ignore_unavailable');
        params.bool('allow_no_indices');
        params.done();
        const found = cluster.resolve(indexName, { ignoreUnavailable: true });
        return { status: found.length > 0 ? 200 : 404 };
      }
      if (method === 'GET') {
        params.bool('ignore_unavailable');
        params.done();
        const out: Json = {};
        for (const index of cluster.resolve(indexName))
          out[index.name] = {
            aliases: aliasesJson(index),
            mappings: index.mapping.toJSON(),
            settings: index.settingsJson(),
          };
        return ok(out);
      }
      if (method === 'DELETE') {
        params.bool('ignore_unavailable');
        params.done();
        for (const part of indexName.split(','))
          if (!cluster.indices.has(part) && cluster.aliasIndices(part).length > 0)
            throw illegalArgument(
              `The provided expression [${part}] matches an alias, specify the corresponding concrete indices instead.`,
            );
        cluster.deleteIndices(indexName);
        return ok({ acknowledged: true });
      }
      return methodNotAllowed(request, ['GET', 'HEAD', 'PUT', 'DELETE']);
    }
    case '_doc':
    case '_create':
    case '_update':
    case '_source':
      if (rest.length > 1) break;
      return documentRoute(cluster, request, indexName, endpoint, rest[0]);
    case '_bulk':
      if (method !== 'POST' && method !== 'PUT') return methodNotAllowed(request, ['POST', 'PUT']);
      return bulk(cluster, request, indexName);
    case '_search':
    case '_count': {
      if (method !== 'GET' && method !== 'POST') return methodNotAllowed(request, ['GET', 'POST']);
      return searchOrCount(cluster, request, endpoint, indexName);
    }
    case '_refresh': {
      params.bool('ignore_unavailable');
      params.done();
      const targets = cluster.resolve(indexName);
      for (const index of targets) index.refresh();
      return ok({ _shards: { total: targets.length * 2, successful: targets.length, failed: 0 } });
    }
    case '_mapping': {
      if (method === 'GET') {
        params.done();
        return ok(
          Object.fromEntries(
            cluster
              .resolve(indexName)
              .map((index) => [index.name, { mappings: index.mapping.toJSON() }]),
          ),
        );
      }
      if (method === 'PUT' || method === 'POST') {
        params.done();
        const body = requireBody(request);
        for (const index of cluster.resolve(indexName)) cluster.putMapping(index, body);
        return ok({ acknowledged: true });
      }
      return methodNotAllowed(request, ['GET', 'PUT', 'POST']);
    }
    case '_settings': {
      if (method === 'GET') {
        params.done();
        return ok(
          Object.fromEntries(
            cluster
              .resolve(indexName)
              .map((index) => [index.name, { settings: index.settingsJson() }]),
          ),
        );
      }
      if (method === 'PUT') {
        params.done();
        const body = requireBody(request);
        for (const index of cluster.resolve(indexName)) cluster.putSettings(index, body);
        return ok({ acknowledged: true });
      }
      return methodNotAllowed(request, ['GET', 'PUT']);
    }
    case '_alias':
    case '_aliases': {
      const name = rest[0];
      if (method === 'GET' || method === 'HEAD') {
        const reply = getAliases(cluster, request, indexName, name);
        return method === 'HEAD' ? { status: reply.status } : reply;
      }
      if ((method === 'PUT' || method === 'POST') && name) {
        params.done();
        const body = jsonBody(request);
        const options = isObject(body) ? body : {};
        cluster.updateAliases({
          actions: [{ add: { index: indexName, alias: name, ...options } }],
        });
        return ok({ acknowledged: true });
      }
      if (method === 'DELETE' && name) {
        params.done();
        cluster.updateAliases({ actions: [{ remove: { index: indexName, alias: name } }] });
        return ok({ acknowledged: true });
      }
      return methodNotAllowed(request, ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
    }
    case '_delete_by_query': {
      if (method !== 'POST') return methodNotAllowed(request, ['POST']);
      const started = Date.now();
      const conflicts = params.string('conflicts') ?? 'abort';
      const mode = refreshMode(params);
      const waitForCompletion = params.bool('wait_for_completion');
      if (waitForCompletion === false) throw unsupported('wait_for_completion=false');
      params.string('slices');
      params.int('scroll_size');
      params.done();
      const body = requireBody(request);
      for (const key of Object.keys(body))
        if (key !== 'query' && key !== 'max_docs')
          throw unsupported(`_delete_by_query body ${key}`);
      let deleted = 0;
      let versionConflicts = 0;
      let total = 0;
      const failures: Json[] = [];
      const maxDocs = body.max_docs === undefined ? Infinity : Number(body.max_docs);
      for (const index of cluster.resolve(indexName)) {
        for (const { id, source } of matchingDocs(index, body.query, cluster.now())) {
          if (total >= maxDocs) break;
          total++;
          // The search saw the document as of the last refresh; a newer write is a version conflict.
          const live = index.get(id);
          if (!live || live.source !== source) {
            versionConflicts++;
            if (conflicts !== 'proceed')
              failures.push({
                index: index.name,
                id,
                cause: {
                  type: 'version_conflict_engine_exception',
                  reason: `[${id}]: version conflict`,
                },
                status: 409,
              });
            continue;
          }
          index.delete(id, {});
          deleted++;
        }
        afterWrite(index, mode);
      }
      return ok(
        {
          took: Date.now() - started,
          timed_out: false,
          total,
          deleted,
          batches: total > 0 ? 1 : 0,
          version_conflicts: versionConflicts,
          noops: 0,
          retries: { bulk: 0, search: 0 },
          throttled_millis: 0,
          requests_per_second: -1,
          throttled_until_millis: 0,
          failures,
        },
        failures.length > 0 ? 409 : 200,
      );
    }
    default:
      break;
  }
  return noHandler(request);
};

const noHandler = (request: Request): Reply => {
  throw new OpenSearchApiError(
    400,
    'illegal_argument_exception',
    `no handler found for uri [${request.path}] and method [${request.method}]`,
  );
};

const searchOrCount = (
  cluster: Cluster,
  request: Request,
  endpoint: '_search' | '_count',
  expression: string | undefined,
): Reply => {
  const { params } = request;
  if (endpoint === '_count') {
    const targets = searchTargets(cluster, params, expression);
    params.done();
    return ok(count(targets, jsonBody(request), cluster.now()));
  }
  const options = searchParams(params);
  const targets = searchTargets(cluster, params, expression);
  params.done();
  return ok(search(targets, jsonBody(request), options, cluster.now()));
};

const route = (cluster: Cluster, request: Request): Reply => {
  const { method, segments, params } = request;
  const [first, second, ...rest] = segments;
  if (first === undefined) {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(request, ['GET', 'HEAD']);
    params.done();
    return ok(clusterInfo());
  }
  if (!first.startsWith('_')) return indexRoute(cluster, request, first, second, rest);
  switch (first) {
    case '_bulk':
      if (method !== 'POST' && method !== 'PUT') return methodNotAllowed(request, ['POST', 'PUT']);
      return bulk(cluster, request, undefined);
    case '_search':
    case '_count':
      if (second !== undefined) break;
      return searchOrCount(cluster, request, first, undefined);
    case '_refresh': {
      params.done();
      for (const index of cluster.indices.values()) index.refresh();
      return ok({
        _shards: { total: cluster.indices.size * 2, successful: cluster.indices.size, failed: 0 },
      });
    }
    case '_aliases':
      if (method === 'POST' && second === undefined) {
        params.done();
        cluster.updateAliases(requireBody(request));
        return ok({ acknowledged: true });
      }
      if (method === 'GET') return getAliases(cluster, request, undefined, second);
      break;
    case '_alias': {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(request, ['GET', 'HEAD']);
      const reply = getAliases(cluster, request, undefined, second);
      return method === 'HEAD' ? { status: reply.status } : reply;
    }
    case '_mapping':
      params.done();
      return ok(
        Object.fromEntries(
          [...cluster.indices.values()].map((index) => [
            index.name,
            { mappings: index.mapping.toJSON() },
          ]),
        ),
      );
    case '_index_template': {
      if (method === 'GET' || method === 'HEAD') {
        params.done();
        const names = second ? second.split(',') : undefined;
        const found = [...cluster.templates].filter(
          ([name]) =>
            !names ||
            names.some(
              (n) =>
                n === '*' ||
                n === name ||
                (n.includes('*') && new RegExp(`^${n.replaceAll('*', '.*')}$`).test(name)),
            ),
        );
        if (names && found.length === 0) {
          if (method === 'HEAD') return { status: 404 };
          throw new OpenSearchApiError(
            404,
            'resource_not_found_exception',
            `index template matching [${second}] not found`,
          );
        }
        if (method === 'HEAD') return { status: 200 };
        return ok({
          index_templates: found.map(([name, template]) =>
            templateJson(name, template as unknown as Json),
          ),
        });
      }
      if ((method === 'PUT' || method === 'POST') && second) {
        const create = params.bool('create') ?? false;
        params.string('cause');
        params.done();
        cluster.putTemplate(second, requireBody(request), create);
        return ok({ acknowledged: true });
      }
      if (method === 'DELETE' && second) {
        params.done();
        cluster.deleteTemplate(second);
        return ok({ acknowledged: true });
      }
      return methodNotAllowed(request, ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']);
    }
    case '_cat':
      if (second === 'indices' && method === 'GET') return catIndices(cluster, request, rest[0]);
      break;
    case '_cluster':
      if (second === 'health' && method === 'GET') {
        params.string('wait_for_status');
        params.string('wait_for_no_relocating_shards');
        params.string('level');
        params.done();
        const shards = cluster.indices.size;
        return ok({
          cluster_name: 'search-server-local',
          status: 'green',
          timed_out: false,
          number_of_nodes: 1,
          number_of_data_nodes: 1,
          discovered_master: true,
          discovered_cluster_manager: true,
          active_primary_shards: shards,
          active_shards: shards,
          relocating_shards: 0,
          initializing_shards: 0,
          unassigned_shards: 0,
          delayed_unassigned_shards: 0,
          number_of_pending_tasks: 0,
          number_of_in_flight_fetch: 0,
          task_max_waiting_in_queue_millis: 0,
          active_shards_percent_as_number: 100,
        });
      }
      break;
    default:
      break;
  }
  return noHandler(request);
};

const acceptedContentTypes = [
  'application/json',
  'application/x-ndjson',
  'application/vnd.opensearch+json',
  'application/vnd.opensearch+x-ndjson',
  'application/vnd.elasticsearch+json',
  'application/vnd.elasticsearch+x-ndjson',
];

const readBody = (request: IncomingMessage): Promise<{ body: Buffer; tooLarge: boolean }> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Keep draining so the client can read the 413 instead of a reset connection.
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
    request.on('error', reject);
  });

const send = (response: ServerResponse, method: string, reply: Reply): void => {
  const isText = reply.text !== undefined;
  const payload = isText ? reply.text! : reply.body === undefined ? '' : JSON.stringify(reply.body);
  response.statusCode = reply.status;
  response.setHeader(
    'content-type',
    isText ? 'text/plain; charset=UTF-8' : 'application/json; charset=UTF-8',
  );
  response.setHeader('content-length', Buffer.byteLength(payload));
  response.end(method === 'HEAD' ? undefined : payload);
};

const errorReply = (error: unknown): Reply => {
  if (error instanceof OpenSearchApiError)
    return { status: error.status, body: { error: error.toErrorBody(), status: error.status } };
  const reason = error instanceof Error ? error.message : String(error);
  return {
    status: 500,
    body: {
      error: { root_cause: [{ type: 'exception', reason }], type: 'exception', reason },
      status: 500,
    },
  };
};

/** Handles one HTTP request against a cluster. */
export const handle = async (
  cluster: Cluster,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> => {
  const method = request.method ?? 'GET';
  let reply: Reply;
  try {
    const { body: raw, tooLarge } = await readBody(request);
    if (tooLarge) {
      reply = errorReply(
        new OpenSearchApiError(
          413,
          'content_too_long_exception',
          `Request size exceeded ${MAX_BODY_BYTES} bytes`,
        ),
      );
    } else {
      const encoding = request.headers['content-encoding'];
      const decoded =
        encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : raw;
      const contentType = (request.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (decoded.length > 0 && contentType !== '' && !acceptedContentTypes.includes(contentType)) {
        reply = {
          status: 406,
          body: {
            error: `Content-Type header [${request.headers['content-type']}] is not supported`,
            status: 406,
          },
        };
      } else if (decoded.length > MAX_BODY_BYTES) {
        reply = errorReply(
          new OpenSearchApiError(
            413,
            'content_too_long_exception',
            `Request size exceeded ${MAX_BODY_BYTES} bytes`,
          ),
        );
      } else {
        const url = new URL(request.url ?? '/', 'http://localhost');
        const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
        reply = route(cluster, {
          method,
          path: url.pathname,
          segments,
          params: new Params(url.searchParams, url.pathname),
          body: decoded.toString('utf8'),
        });
      }
    }
  } catch (error) {
    reply = errorReply(error);
  }
  try {
    cluster.flush();
  } catch (error) {
    reply = errorReply(error);
  }
  send(response, method, reply);
};
