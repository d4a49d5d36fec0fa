import { createHash } from 'node:crypto';
import type { Client } from '@opensearch-project/opensearch';
import { SearchRequestError } from './errors.js';

/** The two document kinds the pipeline indexes. */
export const SearchEntity = { orders: 'orders', users: 'users' } as const;

/** One of the values of {@link SearchEntity}. */
export type SearchEntity = (typeof SearchEntity)[keyof typeof SearchEntity];

/** The names behind one document kind: queries read `read`, the consumer and backfill write `write`. */
export interface IndexNames {
  /** Alias that queries read; switched by a reindex once the new index is complete. */
  readonly read: string;
  /** Alias that the consumer writes; a reindex moves it first, so the new index sees every live write. */
  readonly write: string;
  /** The index template's name. */
  readonly template: string;
  /** Pattern of the versioned concrete indices, which the template applies to. */
  readonly pattern: string;
  /** A concrete index name for a version label. */
  readonly versioned: (label: string) => string;
}

/** Names of both document kinds under an optional prefix (tests and stages share one cluster). */
export interface SearchIndexNames {
  readonly orders: IndexNames;
  readonly users: IndexNames;
}

const namesOf = (prefix: string, entity: SearchEntity): IndexNames => ({
  read: `${prefix}${entity}`,
  write: `${prefix}${entity}-write`,
  template: `${prefix}${entity}`,
  pattern: `${prefix}${entity}-v*`,
  versioned: (label) => `${prefix}${entity}-v${label}`,
});

/**
 * The aliases, template and index names for a prefix.
 *
 * @example
 * searchIndexNames('dev-').orders.read // 'dev-orders'
 */
export const searchIndexNames = (prefix = ''): SearchIndexNames => ({
  orders: namesOf(prefix, SearchEntity.orders),
  users: namesOf(prefix, SearchEntity.users),
});

const keyword = { type: 'keyword' } as const;
const date = { type: 'date' } as const;
const long = { type: 'long' } as const;
// Text for matching words, plus an exact keyword for equality and sorting.
const textAndKeyword = {
  type: 'text',
  fields: { keyword: { type: 'keyword', ignore_above: 256 } },
} as const;

/** Fields every document carries: the external version it was written with, and the marker flag. */
const bookkeeping = {
  deleted: { type: 'boolean' },
  deletedAt: date,
  version: long,
} as const;

/** The orders mapping. Strict, so a projection bug cannot smuggle other personal data in. */
export const ordersMapping = {
  dynamic: 'strict',
  properties: {
    orderId: keyword,
    userId: keyword,
    status: keyword,
    createdAt: date,
    updatedAt: date,
    total: { properties: { amount: long, currency: keyword } },
    itemProductIds: keyword,
    itemNames: { type: 'text' },
    customerName: textAndKeyword,
    customerEmail: textAndKeyword,
    revs: { properties: { order: long, user: long, items: long } },
    ...bookkeeping,
  },
} as const;

/** The users mapping. */
export const usersMapping = {
  dynamic: 'strict',
  properties: {
    userId: keyword,
    name: textAndKeyword,
    email: textAndKeyword,
    createdAt: date,
    ...bookkeeping,
  },
} as const;

/** Settings a deployment gives every index, beside the mappings. */
export interface IndexTemplateOptions {
  /**
   * Replicas of every index: 0 where the domain has one data node, 1 across two zones.
   * A replica needs a second node to live on, so more replicas than data nodes minus one
   * leaves the cluster yellow. @default auto-expanded from 0 to 1, so a local node stays green
   */
  readonly replicas?: number;
}

/** The body of an `_index_template`, as {@link buildIndexTemplate} builds it. */
export interface IndexTemplate {
  readonly index_patterns: readonly string[];
  readonly priority: number;
  readonly template: {
    readonly settings: { readonly index: Readonly<Record<string, string | number | boolean>> };
    readonly mappings: object;
  };
  /** Where {@link ensureSearchIndices} records the template's version. */
  readonly _meta?: { readonly templateVersion: string };
}

/**
 * Builds the body of an `_index_template` for one document kind: mappings and settings
 * live in the template, so every versioned index a reindex creates gets them.
 *
 * @example
 * buildIndexTemplate(searchIndexNames().orders, 'orders', { replicas: 0 })
 */
export const buildIndexTemplate = (
  names: IndexNames,
  entity: SearchEntity,
  options: IndexTemplateOptions = {},
): IndexTemplate => ({
  index_patterns: [names.pattern],
  priority: 100,
  template: {
    settings: {
      index: {
        refresh_interval: '1s',
        number_of_shards: 1,
        ...(options.replicas === undefined
          ? { auto_expand_replicas: '0-1' }
          : // A fixed count: auto-expansion off, or it would override the number.
            { number_of_replicas: options.replicas, auto_expand_replicas: false }),
      },
    },
    mappings: entity === SearchEntity.orders ? ordersMapping : usersMapping,
  },
});

/**
 * A short content hash of a template body, without its `_meta`: equal bodies, equal versions.
 *
 * @example
 * templateVersionOf(buildIndexTemplate(searchIndexNames().users, 'users')) // '3f1c…' (16 hex digits)
 */
export const templateVersionOf = (template: IndexTemplate): string => {
  const { _meta: _, ...body } = template;
  return createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16);
};

// Keys sorted at every level, so the hash does not depend on the order they were written in.
const canonicalJson = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonicalJson).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as never)[key])}`)
          .join(',')}}`
      : JSON.stringify(value);

/** Builds the template of one document kind; {@link buildIndexTemplate} unless told otherwise. */
export type IndexTemplateBuilder = (
  names: IndexNames,
  entity: SearchEntity,
  options: IndexTemplateOptions,
) => IndexTemplate;

/**
 * The templates {@link ensureSearchIndices} puts for `options`, each with its version in `_meta`.
 *
 * @example
 * searchIndexTemplates({ replicas: 1 }).orders._meta?.templateVersion
 */
export const searchIndexTemplates = (
  options: EnsureSearchIndicesOptions = {},
): Record<SearchEntity, IndexTemplate> => {
  const names = searchIndexNames(options.prefix);
  const build = options.templates ?? buildIndexTemplate;
  const withVersion = (entity: SearchEntity): IndexTemplate => {
    const template = build(names[entity], entity, options);
    return { ...template, _meta: { templateVersion: templateVersionOf(template) } };
  };
  return { orders: withVersion(SearchEntity.orders), users: withVersion(SearchEntity.users) };
};

/**
 * One version for both templates, for a deployment to carry in its properties so that any
 * template change reaches the setup step as an update.
 *
 * @example
 * searchTemplatesVersion({ replicas: 0 }) // 16 hex digits
 */
export const searchTemplatesVersion = (options: EnsureSearchIndicesOptions = {}): string => {
  const templates = searchIndexTemplates(options);
  return createHash('sha256')
    .update(`${templates.orders._meta?.templateVersion}/${templates.users._meta?.templateVersion}`)
    .digest('hex')
    .slice(0, 16);
};

/** The HTTP status of a client failure, when there was a response. */
export const statusOf = (error: unknown): number | undefined =>
  (error as { meta?: { statusCode?: number } })?.meta?.statusCode ??
  (error as { statusCode?: number })?.statusCode;

/** OpenSearch's error type of a client failure, such as `illegal_argument_exception`. */
export const typeOf = (error: unknown): string | undefined =>
  (error as { meta?: { body?: { error?: { type?: string } } } })?.meta?.body?.error?.type;

/** Wraps a client failure in a {@link SearchRequestError}. */
export const requestFailed = (operation: string, error: unknown): SearchRequestError =>
  new SearchRequestError(
    operation,
    statusOf(error),
    typeOf(error) ?? (error instanceof Error ? error.message : String(error)),
    { cause: error },
  );

/** Concrete indices an alias points at (empty when it does not exist). */
export const aliasTargets = async (client: Client, alias: string): Promise<string[]> => {
  try {
    const response = await client.indices.getAlias({ name: alias });
    return Object.keys(response.body as Record<string, unknown>);
  } catch (error) {
    if (statusOf(error) === 404) return [];
    throw requestFailed(`get alias ${alias}`, error);
  }
};

/** Options of {@link ensureSearchIndices}. */
export interface EnsureSearchIndicesOptions extends IndexTemplateOptions {
  /** Prefix of every alias, template and index. @default '' */
  readonly prefix?: string;
  /** Builds each kind's template. @default {@link buildIndexTemplate} */
  readonly templates?: IndexTemplateBuilder;
}

/**
 * Puts both index templates (each with its version in `_meta`) and, for a kind that has no
 * read alias yet, creates its first versioned index with both aliases. Idempotent: tests,
 * the launcher, backfill and the deployed setup step ({@link setupSearch}) all call it.
 *
 * @example
 * await ensureSearchIndices(client, { prefix: 'dev-' });
 */
export const ensureSearchIndices = async (
  client: Client,
  options: EnsureSearchIndicesOptions = {},
): Promise<SearchIndexNames> => {
  const names = searchIndexNames(options.prefix);
  const templates = searchIndexTemplates(options);
  for (const entity of [SearchEntity.orders, SearchEntity.users]) {
    const kind = names[entity];
    try {
      await client.indices.putIndexTemplate({
        name: kind.template,
        body: templates[entity] as never,
      });
    } catch (error) {
      throw requestFailed(`put index template ${kind.template}`, error);
    }
    if ((await aliasTargets(client, kind.read)).length > 0) continue;
    const index = kind.versioned('1');
    try {
      await client.indices.create({
        index,
        body: { aliases: { [kind.read]: {}, [kind.write]: {} } },
      });
    } catch (error) {
      // Another process set up the same kind at the same moment.
      if (typeOf(error) !== 'resource_already_exists_exception') {
        throw requestFailed(`create index ${index}`, error);
      }
    }
  }
  return names;
};

/**
 * Deletes what {@link ensureSearchIndices} made under a prefix: the versioned indices of
 * both kinds (their aliases go with them) and both templates. Absent ones are no error.
 * For tests and runs that share a cluster under a prefix of their own.
 *
 * @example
 * await removeSearchIndices(client, { prefix: 'chaos-7-' });
 */
export const removeSearchIndices = async (
  client: Client,
  options: EnsureSearchIndicesOptions = {},
): Promise<void> => {
  const names = searchIndexNames(options.prefix);
  const unlessMissing = async (operation: string, request: Promise<unknown>) => {
    try {
      await request;
    } catch (error) {
      if (statusOf(error) !== 404) throw requestFailed(operation, error);
    }
  };
  for (const kind of [names.orders, names.users]) {
    await unlessMissing(
      `delete indices ${kind.pattern}`,
      client.indices.delete({ index: kind.pattern, allow_no_indices: true }),
    );
    await unlessMissing(
      `delete index template ${kind.template}`,
      client.indices.deleteIndexTemplate({ name: kind.template }),
    );
  }
};
