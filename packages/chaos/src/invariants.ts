import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import { aggregates, verify } from '@pipeline/aggregates';
import { readArchive } from '@pipeline/archive';
import { EntityType, parseKey } from '@pipeline/model';
import { searchIndexNames } from '@pipeline/search';
import type { ExpiringItem } from './workload.js';

/** Every item of the main table, unmarshalled. */
export const scanTable = async (
  client: DynamoDBClient,
  tableName: string,
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
};

/** How far the search index is from the table. Every count is 0 in a correct pipeline. */
export interface SearchInvariants {
  readonly usersChecked: number;
  readonly ordersChecked: number;
  /** Live items with no document, or only a deleted-marker. */
  readonly missing: number;
  /**
   * Live items whose document is not at their latest revisions (for an order: its header
   * and lines, and its customer's name and email as the profile has them now).
   */
  readonly stale: number;
  /** Documents (not markers) of items that no longer exist. */
  readonly resurrected: number;
  /** A few offending ids, for the report. */
  readonly examples: readonly string[];
}

type Doc = Record<string, unknown> & { deleted?: boolean; version?: number };

const readAll = async (
  client: Client,
  index: string,
  idField: string,
): Promise<Map<string, Doc>> => {
  const docs = new Map<string, Doc>();
  let after: unknown[] | undefined;
  for (;;) {
    const response = await client.search({
      index,
      body: {
        size: 1000,
        query: { match_all: {} },
        sort: [{ [idField]: { order: 'asc' } }],
        ...(after ? { search_after: after } : {}),
      } as never,
    });
    const hits = (
      response.body as { hits: { hits: { _id: string; _source: Doc; sort: unknown[] }[] } }
    ).hits.hits;
    for (const hit of hits) docs.set(hit._id, hit._source);
    if (hits.length < 1000) return docs;
    after = hits[hits.length - 1]!.sort;
  }
};

/**
 * Compares the search index with the table's current state: every live user and order is
 * indexed at its latest revisions, and no document of a deleted item is visible.
 *
 * @example
 * const search = await checkSearch(client, items);
 */
export const checkSearch = async (
  client: Client,
  items: readonly Record<string, unknown>[],
  prefix = '',
): Promise<SearchInvariants> => {
  const names = searchIndexNames(prefix);
  await client.indices.refresh({ index: [names.orders.read, names.users.read] });
  const userDocs = await readAll(client, names.users.read, 'userId');
  const orderDocs = await readAll(client, names.orders.read, 'orderId');
  const users = new Map<string, { rev: number; name: unknown; email: unknown }>();
  const orders = new Map<string, { userId: string; rev: number }>();
  const lineRevs = new Map<string, number>();
  for (const item of items) {
    const key = parseKey(item as { PK?: unknown; SK?: unknown });
    if (!key) continue;
    if (key.entityType === EntityType.user)
      users.set(key.userId, { rev: item.rev as number, name: item.name, email: item.email });
    else if (key.entityType === EntityType.order)
      orders.set(key.orderId, { userId: key.userId, rev: item.rev as number });
    else if (key.entityType === EntityType.orderItem)
      lineRevs.set(key.orderId, Math.max(lineRevs.get(key.orderId) ?? 0, item.rev as number));
  }
  let missing = 0;
  let stale = 0;
  let resurrected = 0;
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < 10) examples.push(text);
  };
  for (const [userId, { rev }] of users) {
    const doc = userDocs.get(userId);
    if (!doc || doc.deleted) {
      missing++;
      note(`missing user ${userId}`);
    } else if (doc.version !== rev) {
      stale++;
      note(`stale user ${userId}: version ${doc.version}, rev ${rev}`);
    }
  }
  for (const [orderId, header] of orders) {
    const doc = orderDocs.get(orderId);
    if (!doc || doc.deleted) {
      missing++;
      note(`missing order ${orderId}`);
      continue;
    }
    const revs = doc.revs as { order?: number; user?: number; items?: number } | undefined;
    const user = users.get(header.userId);
    const current =
      revs?.order === header.rev &&
      revs?.items === (lineRevs.get(orderId) ?? 0) &&
      // Without a profile the user component is the deletion's, which the table no longer holds.
      (user === undefined
        ? doc.customerName === undefined && doc.customerEmail === undefined
        : // A profile change that leaves name and email alone re-projects no order (the
          // consumer's plan skips it), so `revs.user` may lag the profile's rev: what must
          // be current is what the document copies from the profile.
          doc.customerName === user.name &&
          doc.customerEmail === user.email &&
          typeof revs?.user === 'number' &&
          revs.user <= user.rev);
    if (!current) {
      stale++;
      note(
        `stale order ${orderId}: ${JSON.stringify(revs)}, header ${header.rev}, user ${user?.rev}` +
          (user && doc.customerName !== user.name ? ', customer name differs' : '') +
          (user && doc.customerEmail !== user.email ? ', customer email differs' : ''),
      );
    }
  }
  for (const [id, doc] of userDocs) {
    if (!doc.deleted && !users.has(id)) {
      resurrected++;
      note(`resurrected user ${id}`);
    }
  }
  for (const [id, doc] of orderDocs) {
    if (!doc.deleted && !orders.has(id)) {
      resurrected++;
      note(`resurrected order ${id}`);
    }
  }
  return {
    usersChecked: users.size,
    ordersChecked: orders.size,
    missing,
    stale,
    resurrected,
    examples,
  };
};

/** How far the aggregates are from a recomputation from the table. */
export interface AggregateInvariants {
  /** Counter fields whose live value differs from the recomputation. */
  readonly drift: number;
  /** Sum of the absolute differences over those fields. */
  readonly driftTotal: string;
  readonly countersCompared: number;
  /** Items of a source type that no aggregate can read (the poison items). */
  readonly unreadable: number;
  readonly examples: readonly string[];
}

/**
 * Recomputes every aggregate from the main table and compares it with the live counters.
 *
 * @example
 * const { drift } = await checkAggregates(client, tableName, aggregatesTableName);
 */
export const checkAggregates = async (
  client: DynamoDBClient,
  tableName: string,
  aggregatesTableName: string,
): Promise<AggregateInvariants> => {
  const result = await verify({
    tableName,
    aggregatesTableName,
    declarations: aggregates,
    client,
    segments: 1,
  });
  let total = 0n;
  for (const drift of result.drifts) {
    const delta = drift.actual - drift.expected;
    total += delta < 0n ? -delta : delta;
  }
  return {
    drift: result.drifts.length,
    driftTotal: total.toString(),
    countersCompared: result.countersCompared,
    unreadable: result.invalid,
    examples: result.drifts
      .slice(0, 10)
      .map(
        (drift) =>
          `${drift.counter} ${drift.field}: expected ${drift.expected}, live ${drift.actual}`,
      ),
  };
};

/** What the archive holds against what expired. */
export interface ArchiveInvariants {
  /** Items that TTL removed (written to expire, gone from the table, not deleted by a user). */
  readonly expired: number;
  /** Expiring items still in the table when the run ended: TTL had not reached them. */
  readonly notYetExpired: number;
  /** Distinct items in the archive, after dedupe by event id. */
  readonly archived: number;
  /** Expired items missing from the archive. */
  readonly lost: number;
  /** Items archived under more than one event id. */
  readonly duplicates: number;
  /** Items a user deleted that the archive holds anyway. */
  readonly userDeletesArchived: number;
  readonly examples: readonly string[];
}

const day = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

/**
 * Reads the whole archive (deduplicated by event id) and compares it with the items that
 * TTL removed: each exactly once, and nothing a user deleted.
 *
 * @example
 * const { lost } = await checkArchive({ s3, bucket, prefix, expiring, items, startedAt });
 */
export const checkArchive = async (input: {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly expiring: readonly ExpiringItem[];
  readonly items: readonly Record<string, unknown>[];
  readonly startedAt: number;
}): Promise<ArchiveInvariants> => {
  const present = new Set(input.items.map((item) => `${item.PK}\u0000${item.SK}`));
  const archived = new Map<string, number>();
  for (const entityType of [EntityType.session, EntityType.productView]) {
    const { records } = await readArchive({
      s3: input.s3,
      bucket: input.bucket,
      prefix: input.prefix,
      entityType,
      from: day(input.startedAt - 86_400_000),
      to: day(Date.now() + 86_400_000),
    });
    for (const record of records) {
      const key = `${record.keys.PK}\u0000${record.keys.SK}`;
      archived.set(key, (archived.get(key) ?? 0) + 1);
    }
  }
  let expired = 0;
  let notYetExpired = 0;
  let lost = 0;
  let userDeletesArchived = 0;
  const examples: string[] = [];
  for (const item of input.expiring) {
    const key = `${item.PK}\u0000${item.SK}`;
    if (item.deletedByUser) {
      if (archived.has(key)) {
        userDeletesArchived++;
        if (examples.length < 10) examples.push(`user delete archived: ${item.PK}`);
      }
      continue;
    }
    if (present.has(key)) {
      notYetExpired++;
      continue;
    }
    expired++;
    if (!archived.has(key)) {
      lost++;
      if (examples.length < 10) examples.push(`lost: ${item.PK}/${item.SK}`);
    }
  }
  let duplicates = 0;
  for (const count of archived.values()) if (count > 1) duplicates += count - 1;
  return {
    expired,
    notYetExpired,
    archived: archived.size,
    lost,
    duplicates,
    userDeletesArchived,
    examples,
  };
};

/** Where {@link checkEndState} finds the table, the index and the archive of a run. */
export interface EndStateSources {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly aggregatesTableName: string;
  readonly search: Client;
  /** Prefix of the search aliases. @default '' */
  readonly searchPrefix?: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly archivePrefix: string;
  /** The items the workload wrote to expire. */
  readonly expiring: readonly ExpiringItem[];
  /** When the run started, epoch ms: the archive is read from the day before. */
  readonly startedAt: number;
  /**
   * Runs between the table scan and the checks: TTL keeps deleting, and whatever it removed
   * before the scan must be through the pipeline by then.
   */
  readonly afterScan?: () => Promise<void>;
}

/** The end-state invariants of search, aggregates and archive, and the ones that failed. */
export interface EndState {
  readonly search: SearchInvariants;
  readonly aggregates: AggregateInvariants;
  readonly archive: ArchiveInvariants;
  /** One line per count that is not 0; empty when every invariant held. */
  readonly failures: string[];
}

/**
 * Checks the end state of a run against the table: the search index matches it, every
 * aggregate is exact, and the archive holds each expired item once and nothing a user
 * deleted.
 *
 * @example
 * const { failures } = await checkEndState({ dynamodb, tableName, aggregatesTableName, search, s3, bucket, archivePrefix, expiring, startedAt });
 */
export const checkEndState = async (sources: EndStateSources): Promise<EndState> => {
  const items = await scanTable(sources.dynamodb, sources.tableName);
  await sources.afterScan?.();
  const search = await checkSearch(sources.search, items, sources.searchPrefix);
  const aggregates = await checkAggregates(
    sources.dynamodb,
    sources.tableName,
    sources.aggregatesTableName,
  );
  const archive = await checkArchive({
    s3: sources.s3,
    bucket: sources.bucket,
    prefix: sources.archivePrefix,
    expiring: sources.expiring,
    items,
    startedAt: sources.startedAt,
  });
  const failures: string[] = [];
  const counts: [string, number][] = [
    ['search.missing', search.missing],
    ['search.stale', search.stale],
    ['search.resurrected', search.resurrected],
    ['aggregates.drift', aggregates.drift],
    ['archive.lost', archive.lost],
    ['archive.duplicates', archive.duplicates],
    ['archive.userDeletesArchived', archive.userDeletesArchived],
  ];
  for (const [name, value] of counts)
    if (value !== 0) failures.push(`${name} = ${value}, expected 0`);
  return { search, aggregates, archive, failures };
};
