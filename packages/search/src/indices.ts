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

/**
 * Builds the body of an `_index_template` for one document kind: mappings and settings
 * live in the template, so every versioned index a reindex creates gets them.
 *
 * @example
 * buildIndexTemplate(searchIndexNames().orders, 'orders')
 */
export const buildIndexTemplate = (names: IndexNames, entity: SearchEntity) => ({
  index_patterns: [names.pattern],
  priority: 100,
  template: {
    settings: {
      // One replica wherever a second data node can hold it, none on a single node, so
      // one-node domains and local runs stay green.
      index: { refresh_interval: '1s', number_of_shards: 1, auto_expand_replicas: '0-1' },
    },
    mappings: entity === SearchEntity.orders ? ordersMapping : usersMapping,
  },
});

const statusOf = (error: unknown): number | undefined =>
  (error as { meta?: { statusCode?: number } })?.meta?.statusCode ??
  (error as { statusCode?: number })?.statusCode;

const typeOf = (error: unknown): string | undefined =>
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
export interface EnsureSearchIndicesOptions {
  /** Prefix of every alias, template and index. @default '' */
  readonly prefix?: string;
}

/**
 * Puts both index templates and, for a kind that has no read alias yet, creates its first
 * versioned index with both aliases. Idempotent: tests, the launcher and backfill all call it.
 *
 * @example
 * await ensureSearchIndices(client, { prefix: 'dev-' });
 */
export const ensureSearchIndices = async (
  client: Client,
  options: EnsureSearchIndicesOptions = {},
): Promise<SearchIndexNames> => {
  const names = searchIndexNames(options.prefix);
  for (const entity of [SearchEntity.orders, SearchEntity.users]) {
    const kind = names[entity];
    try {
      await client.indices.putIndexTemplate({
        name: kind.template,
        body: buildIndexTemplate(kind, entity) as never,
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
