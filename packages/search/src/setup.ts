/**
 * The search setup a deployment runs on every create and update: the same templates,
 * versioned indices and aliases as a local start, template changes applied to the live
 * indices, and the sync function's least-privilege role inside OpenSearch.
 */
import type { Client } from '@opensearch-project/opensearch';
import type { LogSink } from '@pipeline/streams';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { type BackfillOptions, backfill } from './backfill.js';
import { SearchError } from './errors.js';
import {
  aliasTargets,
  type EnsureSearchIndicesOptions,
  ensureSearchIndices,
  type IndexTemplate,
  requestFailed,
  SearchEntity,
  searchIndexNames,
  searchIndexTemplates,
  searchTemplatesVersion,
  statusOf,
  typeOf,
} from './indices.js';

/** Why a setup step stopped; `code` is `search.setup.<reason>`. */
export type SearchSetupFailure = 'invalidProperty' | 'rebuildNeeded';

/** The setup could not run, or could not finish without a step it was not given. */
export class SearchSetupError extends SearchError {
  override readonly name = 'SearchSetupError';
  constructor(
    readonly reason: SearchSetupFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`search.setup.${reason}`, message, options);
  }
}

/** The FGAC role the search writers are mapped to. */
export const SEARCH_WRITER_ROLE = 'pipeline-search-writer';

/**
 * Everything the sync consumer calls, as the security plugin names it: `_bulk` with
 * `index` operations (deletes are marker documents, so never a `delete`), and a realtime
 * GET by id through the write alias to read a marker's version back. No `indices:admin/*`:
 * a write to a missing alias is refused instead of creating a plain index in its place.
 */
export const SEARCH_WRITER_PERMISSIONS = {
  cluster: ['indices:data/write/bulk'],
  index: ['indices:data/write/bulk*', 'indices:data/write/index', 'indices:data/read/get'],
} as const;

/** The two security plugin documents that give the writers their role. */
export interface SearchWriterSecurity {
  readonly roleName: string;
  /** Body of `PUT _plugins/_security/api/roles/<roleName>`. */
  readonly role: {
    readonly description: string;
    readonly cluster_permissions: readonly string[];
    readonly index_permissions: readonly {
      readonly index_patterns: readonly string[];
      readonly allowed_actions: readonly string[];
    }[];
  };
  /** Body of `PUT _plugins/_security/api/rolesmapping/<roleName>`; it replaces the mapping. */
  readonly mapping: {
    readonly backend_roles: readonly string[];
    readonly hosts: readonly string[];
    readonly users: readonly string[];
  };
}

/**
 * Builds the writer role (index families of both kinds under `prefix`, aliases included)
 * and its mapping to the writers' IAM role ARNs as backend roles.
 *
 * @example
 * buildSearchWriterSecurity({ backendRoles: ['arn:aws:iam::123456789012:role/sync'] }).role.index_permissions[0].index_patterns
 * // ['orders*', 'users*']
 */
export const buildSearchWriterSecurity = (options: {
  readonly backendRoles: readonly string[];
  readonly prefix?: string;
}): SearchWriterSecurity => {
  const names = searchIndexNames(options.prefix);
  const roleName = `${options.prefix ?? ''}${SEARCH_WRITER_ROLE}`;
  return {
    roleName,
    role: {
      description: 'Stream consumers that keep the search documents in step with the table.',
      cluster_permissions: [...SEARCH_WRITER_PERMISSIONS.cluster],
      index_permissions: [
        {
          index_patterns: [`${names.orders.read}*`, `${names.users.read}*`],
          allowed_actions: [...SEARCH_WRITER_PERMISSIONS.index],
        },
      ],
    },
    mapping: { backend_roles: [...options.backendRoles], hosts: [], users: [] },
  };
};

/** The FGAC role the search readers (the HTTP API) are mapped to. */
export const SEARCH_READER_ROLE = 'pipeline-search-reader';

/** Everything the query library calls: `_search` through the read aliases, nothing else. */
export const SEARCH_READER_PERMISSIONS = { index: ['indices:data/read/search'] } as const;

/**
 * Builds the reader role (search on the read aliases' index families under `prefix`) and its
 * mapping to the readers' IAM role ARNs, in the shape of {@link buildSearchWriterSecurity}.
 *
 * @example
 * buildSearchReaderSecurity({ backendRoles: ['arn:aws:iam::123456789012:role/api'] }).role.cluster_permissions
 * // []
 */
export const buildSearchReaderSecurity = (options: {
  readonly backendRoles: readonly string[];
  readonly prefix?: string;
}): SearchWriterSecurity => {
  const names = searchIndexNames(options.prefix);
  return {
    roleName: `${options.prefix ?? ''}${SEARCH_READER_ROLE}`,
    role: {
      description: 'Services that search orders and users, such as the HTTP API.',
      cluster_permissions: [],
      index_permissions: [
        {
          index_patterns: [`${names.orders.read}*`, `${names.users.read}*`],
          allowed_actions: [...SEARCH_READER_PERMISSIONS.index],
        },
      ],
    },
    mapping: { backend_roles: [...options.backendRoles], hosts: [], users: [] },
  };
};

/** What the setup did to one document kind. */
export const KindSetup = {
  /** No read alias existed: the first versioned index was created with both aliases. */
  created: 'created',
  /** The template in the cluster already had this version. */
  unchanged: 'unchanged',
  /** The new settings and mappings were applied to the live indices. */
  updated: 'updated',
  /** The change could not be applied in place: new indices were built and the aliases switched. */
  rebuilt: 'rebuilt',
} as const;

/** One of the values of {@link KindSetup}. */
export type KindSetup = (typeof KindSetup)[keyof typeof KindSetup];

/** What {@link setupSearch} did. */
export interface SearchSetupResult {
  /** {@link searchTemplatesVersion} of what is now in the cluster. */
  readonly templateVersion: string;
  readonly kinds: Readonly<Record<SearchEntity, KindSetup>>;
  /** Whether the writer role and mapping were written, or the cluster has no security plugin. */
  readonly security: 'applied' | 'noSecurityPlugin';
}

/** Options of {@link setupSearch}. */
export interface SetupSearchOptions extends EnsureSearchIndicesOptions {
  /** IAM role ARNs of the functions that write documents, mapped to {@link SEARCH_WRITER_ROLE}. */
  readonly writerRoleArns?: readonly string[];
  /** IAM role ARNs of the services that search, mapped to {@link SEARCH_READER_ROLE}. */
  readonly readerRoleArns?: readonly string[];
  /**
   * Where to rebuild from when a change cannot be applied in place (a field's type, the
   * shard count): {@link backfill} reindexes the table into new indices and switches the
   * aliases. @default none: such a change fails with `search.setup.rebuildNeeded`
   */
  readonly rebuildFrom?: Pick<BackfillOptions, 'dynamodb' | 'tableName' | 'segments'>;
}

/** The version recorded in a kind's template in the cluster, if any. */
const storedVersion = async (client: Client, name: string): Promise<string | undefined> => {
  try {
    const response = await client.indices.getIndexTemplate({ name });
    const [found] = (
      response.body as unknown as {
        index_templates: { index_template: { _meta?: { templateVersion?: string } } }[];
      }
    ).index_templates;
    return found?.index_template._meta?.templateVersion;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw requestFailed(`get index template ${name}`, error);
  }
};

/** Thrown inside {@link applyInPlace} when only a rebuild can apply the template. */
class NeedsRebuild extends Error {}

/**
 * Applies a template's mappings and dynamic settings to an existing index. Mappings may
 * only grow (a new field); a changed field type or shard count needs new indices.
 */
const applyInPlace = async (
  client: Client,
  index: string,
  template: IndexTemplate,
): Promise<void> => {
  const { number_of_shards: shards, ...dynamicSettings } = template.template.settings.index;
  let current: Record<string, string>;
  try {
    const response = await client.indices.getSettings({ index, flat_settings: true });
    current = (response.body as Record<string, { settings: Record<string, string> }>)[index]!
      .settings;
  } catch (error) {
    throw requestFailed(`get settings of ${index}`, error);
  }
  if (shards !== undefined && current['index.number_of_shards'] !== String(shards)) {
    throw new NeedsRebuild(`${index} has ${current['index.number_of_shards']} shards`);
  }
  try {
    await client.indices.putMapping({ index, body: template.template.mappings as never });
  } catch (error) {
    if (statusOf(error) === 400 && typeOf(error) === 'illegal_argument_exception') {
      throw new NeedsRebuild(`${index}: ${(error as Error).message}`, { cause: error });
    }
    throw requestFailed(`put mapping of ${index}`, error);
  }
  try {
    await client.indices.putSettings({ index, body: { index: dynamicSettings } as never });
  } catch (error) {
    throw requestFailed(`put settings of ${index}`, error);
  }
};

/** Whether the cluster runs the security plugin (FGAC in Amazon OpenSearch Service). */
const hasSecurityPlugin = async (client: Client): Promise<boolean> => {
  try {
    await client.transport.request({ method: 'GET', path: '/_plugins/_security/api/account' });
    return true;
  } catch (error) {
    // Without the plugin the route does not exist: OpenSearch answers 400 "no handler found".
    if (statusOf(error) === 400 || statusOf(error) === 404) return false;
    throw requestFailed('get security account', error);
  }
};

const putSecurityDocument = async (client: Client, path: string, body: object) => {
  try {
    await client.transport.request({ method: 'PUT', path, body });
  } catch (error) {
    throw requestFailed(`put ${path}`, error);
  }
};

/**
 * Sets search up, idempotently: puts both templates and creates each kind's first versioned
 * index with its aliases (through {@link ensureSearchIndices}, as a local start does); where
 * a kind's template changed since the last run, applies the change to the live indices, or
 * rebuilds them with {@link backfill} when it cannot be applied in place; and, on a cluster
 * with the security plugin, writes the writer role and maps the writers to it. Documents
 * survive every step: a rebuild reads them back from the table.
 *
 * @example
 * await setupSearch(client, { replicas: 0, writerRoleArns: [syncRoleArn], rebuildFrom: { dynamodb, tableName } });
 */
export const setupSearch = async (
  client: Client,
  options: SetupSearchOptions = {},
): Promise<SearchSetupResult> => {
  const names = searchIndexNames(options.prefix);
  const templates = searchIndexTemplates(options);
  const entities = [SearchEntity.orders, SearchEntity.users] as const;
  const kinds = {} as Record<SearchEntity, KindSetup>;
  const toRebuild: string[] = [];
  // Changes reach the live indices before the templates record their version, so a run
  // that stops part-way leaves the old version behind and the next run tries again.
  for (const entity of entities) {
    const kind = names[entity];
    const read = await aliasTargets(client, kind.read);
    const write = await aliasTargets(client, kind.write);
    if (read.length === 0) {
      kinds[entity] = KindSetup.created;
      continue;
    }
    if (read.join() !== write.join()) {
      // A rebuild moved the write alias and stopped before the read alias: finish it anew.
      toRebuild.push(`${kind.read} and ${kind.write} point at different indices`);
      continue;
    }
    if ((await storedVersion(client, kind.template)) === templates[entity]._meta?.templateVersion) {
      kinds[entity] = KindSetup.unchanged;
      continue;
    }
    try {
      for (const index of read) await applyInPlace(client, index, templates[entity]);
      kinds[entity] = KindSetup.updated;
    } catch (error) {
      if (!(error instanceof NeedsRebuild)) throw error;
      toRebuild.push(error.message);
    }
  }
  if (toRebuild.length > 0 && !options.rebuildFrom) {
    throw new SearchSetupError(
      'rebuildNeeded',
      `the templates cannot be applied in place (${toRebuild.join('; ')}), and no table to rebuild from was given`,
    );
  }

  await ensureSearchIndices(client, options);
  if (toRebuild.length > 0) {
    // Backfill rebuilds both kinds at once, from the table, behind the aliases.
    await backfill({ ...options, ...options.rebuildFrom!, search: client });
    for (const entity of entities) kinds[entity] = KindSetup.rebuilt;
  }

  let security: SearchSetupResult['security'] = 'noSecurityPlugin';
  if (await hasSecurityPlugin(client)) {
    const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
    const api = '/_plugins/_security/api';
    for (const documents of [
      buildSearchWriterSecurity({ backendRoles: options.writerRoleArns ?? [], ...prefix }),
      buildSearchReaderSecurity({ backendRoles: options.readerRoleArns ?? [], ...prefix }),
    ]) {
      await putSecurityDocument(client, `${api}/roles/${documents.roleName}`, documents.role);
      await putSecurityDocument(
        client,
        `${api}/rolesmapping/${documents.roleName}`,
        documents.mapping,
      );
    }
    security = 'applied';
  }
  return { templateVersion: searchTemplatesVersion(options), kinds, security };
};

/** The custom resource's properties, as CloudFormation hands them over: every value a string. */
export interface SearchSetupProperties {
  /** Prefix of every alias, template and index. */
  readonly Prefix?: string;
  /** {@link IndexTemplateOptions.replicas}, as digits. */
  readonly Replicas: string;
  /** {@link searchTemplatesVersion} at synth time; a change makes CloudFormation send an update. */
  readonly TemplateVersion: string;
  readonly WriterRoleArns?: readonly string[];
  readonly ReaderRoleArns?: readonly string[];
}

/**
 * Reads and checks the custom resource's properties.
 *
 * @example
 * parseSearchSetupProperties({ Replicas: '0', TemplateVersion: 'ab12', WriterRoleArns: [] })
 * // { prefix: '', replicas: 0, writerRoleArns: [], readerRoleArns: [] }
 */
export const parseSearchSetupProperties = (properties: Record<string, unknown>) => {
  const { Prefix = '', Replicas, WriterRoleArns = [], ReaderRoleArns = [] } = properties;
  if (typeof Replicas !== 'string' || !/^\d$/.test(Replicas)) {
    throw new SearchSetupError(
      'invalidProperty',
      `Replicas must be a digit, got ${JSON.stringify(Replicas)}`,
    );
  }
  if (typeof Prefix !== 'string') {
    throw new SearchSetupError('invalidProperty', `Prefix must be a string`);
  }
  const roleArns = (name: string, value: unknown): string[] => {
    if (
      !Array.isArray(value) ||
      !value.every((arn) => typeof arn === 'string' && /^arn:[a-z-]+:iam::/.test(arn))
    ) {
      throw new SearchSetupError(
        'invalidProperty',
        `${name} must be IAM ARNs, got ${JSON.stringify(value)}`,
      );
    }
    return value as string[];
  };
  return {
    prefix: Prefix,
    replicas: Number(Replicas),
    writerRoleArns: roleArns('WriterRoleArns', WriterRoleArns),
    readerRoleArns: roleArns('ReaderRoleArns', ReaderRoleArns),
  };
};

/** What the provider framework expects back from an onEvent handler. */
export interface SearchSetupResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/** Options of {@link createSearchSetupHandler}. */
export interface SearchSetupHandlerOptions
  extends Pick<SetupSearchOptions, 'rebuildFrom' | 'templates'> {
  /** A client signed as the domain's FGAC master user. */
  readonly client: Client;
  /** Your function's Powertools Logger. */
  readonly logger?: Pick<LogSink, 'info'>;
}

/**
 * The onEvent handler of the search setup custom resource. Create and Update run
 * {@link setupSearch} with the resource's properties; Delete does nothing, since indices
 * hold data a stack deletion must not take with it. The physical id stays the same across
 * updates, so CloudFormation never asks to delete an old one.
 *
 * @example
 * export const handler = createSearchSetupHandler({ client: createSearchClient(config) });
 */
export const createSearchSetupHandler =
  (options: SearchSetupHandlerOptions) =>
  async (event: CloudFormationCustomResourceEvent): Promise<SearchSetupResponse> => {
    if (event.RequestType === 'Delete') {
      options.logger?.info('search setup: delete leaves the indices in place');
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const properties = parseSearchSetupProperties(event.ResourceProperties);
    const physicalResourceId = `search-setup-${properties.prefix || 'default'}`;
    const result = await setupSearch(options.client, {
      ...properties,
      ...(options.rebuildFrom ? { rebuildFrom: options.rebuildFrom } : {}),
      ...(options.templates ? { templates: options.templates } : {}),
    });
    options.logger?.info('search setup done', { requestType: event.RequestType, ...result });
    return {
      PhysicalResourceId: physicalResourceId,
      Data: {
        TemplateVersion: result.templateVersion,
        Orders: result.kinds.orders,
        Users: result.kinds.users,
        Security: result.security,
      },
    };
  };
