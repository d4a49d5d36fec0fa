import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import { EntityType } from '@pipeline/model';
import { type BulkOperation, sendBulk } from './bulk.js';
import { type DocumentWrite, projectUser } from './documents.js';
import { BackfillError } from './errors.js';
import {
  aliasTargets,
  type EnsureSearchIndicesOptions,
  ensureSearchIndices,
  type IndexNames,
  requestFailed,
  type SearchIndexNames,
} from './indices.js';
import type { OrderTarget } from './plan.js';
import { projectOrders } from './reads.js';

/** Progress of a backfill, reported after each page. */
export interface BackfillProgress {
  readonly scanned: number;
  readonly indexed: number;
}

/** Options of {@link backfill}; the template options reach the new indices through their templates. */
export interface BackfillOptions extends EnsureSearchIndicesOptions {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly search: Client;
  /** Parallel Scan segments. @default 4 */
  readonly segments?: number;
  readonly prefix?: string;
  readonly onProgress?: (progress: BackfillProgress) => void;
  /** Where to keep per-segment progress; rerunning with the same file resumes. @default not resumable */
  readonly resumeFile?: string;
  /** Items per Scan page. @default 500 */
  readonly pageSize?: number;
  readonly maxBulkBytes?: number;
  /** Label of the new indices. @default the current epoch ms */
  readonly label?: string;
}

/** What a backfill did. */
export interface BackfillResult {
  readonly ordersIndex: string;
  readonly usersIndex: string;
  readonly scanned: number;
  readonly indexed: number;
  readonly markersCopied: number;
  readonly resumed: boolean;
}

/** What the resume file holds. */
interface BackfillState {
  ordersIndex: string;
  usersIndex: string;
  segments: { done: boolean; lastKey?: ScanCommandOutput['LastEvaluatedKey'] }[];
  scanned: number;
  indexed: number;
  markersCopied?: number;
}

const loadState = (file: string | undefined): BackfillState | undefined =>
  file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BackfillState) : undefined;

const saveState = (file: string | undefined, state: BackfillState): void => {
  if (!file) return;
  // Write then rename, so a crash never leaves a half-written file behind.
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
};

/** Moves `alias` from wherever it points to `index`, in one atomic `_aliases` call. */
const switchAlias = async (search: Client, alias: string, index: string): Promise<void> => {
  const current = await aliasTargets(search, alias);
  const actions = [
    ...current.filter((name) => name !== index).map((name) => ({ remove: { index: name, alias } })),
    { add: { index, alias } },
  ];
  try {
    await search.indices.updateAliases({ body: { actions } as never });
  } catch (error) {
    throw requestFailed(`switch alias ${alias}`, error);
  }
};

const writeAll = async (
  search: Client,
  operations: BulkOperation[],
  maxBulkBytes: number | undefined,
  segment: number | undefined,
): Promise<void> => {
  if (operations.length === 0) return;
  const { failures } = await sendBulk(search, operations, {
    ...(maxBulkBytes === undefined ? {} : { maxBulkBytes }),
  });
  const first = failures.values().next();
  if (!first.done)
    throw new BackfillError(`${failures.size} documents could not be written`, segment, {
      cause: first.value,
    });
};

/**
 * Copies the deleted markers of the indices `kind.read` points at into `index`, with their
 * versions, so that a projection in flight from before the switch cannot bring back a
 * document deleted before the new index existed.
 */
const copyMarkers = async (
  search: Client,
  kind: IndexNames,
  index: string,
  maxBulkBytes: number | undefined,
): Promise<number> => {
  const sources = (await aliasTargets(search, kind.read)).filter((name) => name !== index);
  let copied = 0;
  for (const source of sources) {
    let after: unknown[] | undefined;
    for (;;) {
      let hits: { _id: string; _source: { version: number }; sort: unknown[] }[];
      try {
        const response = await search.search({
          index: source,
          body: {
            size: 1000,
            query: { term: { deleted: true } },
            sort: [{ deletedAt: { order: 'asc' } }, { version: { order: 'asc' } }],
            ...(after ? { search_after: after } : {}),
          } as never,
        });
        hits = (response.body as unknown as { hits: { hits: typeof hits } }).hits.hits;
      } catch (error) {
        throw requestFailed(`read markers of ${source}`, error);
      }
      if (hits.length === 0) break;
      await writeAll(
        search,
        hits.map((hit) => ({
          index,
          id: hit._id,
          version: hit._source.version,
          source: hit._source,
        })),
        maxBulkBytes,
        undefined,
      );
      copied += hits.length;
      after = hits[hits.length - 1]!.sort;
    }
  }
  return copied;
};

/**
 * Indexes the table's current users and orders into fresh indices and switches the read
 * aliases to them. The order of steps is what makes it safe beside the live stream:
 * 1. create the new indices (the templates give them their mappings) and move the WRITE
 *    aliases to them, so every live write from now on lands in the new indices;
 * 2. copy the old indices' deleted markers;
 * 3. Scan the table in parallel segments and index what it finds, with the same external
 *    versions the consumer uses. A document the stream wrote meanwhile has a version
 *    at least as high, so whichever write lands last, the newer state wins;
 * 4. refresh and move the READ aliases in one atomic `_aliases` call.
 * Queries keep reading the old indices until step 4. Each page's progress is saved to the
 * resume file once its documents are written, so a rerun picks up where it stopped.
 *
 * @example
 * await backfill({ dynamodb, tableName: 'orders', search, segments: 8, resumeFile: '.backfill.json' });
 */
export const backfill = async (options: BackfillOptions): Promise<BackfillResult> => {
  const { search, resumeFile, maxBulkBytes } = options;
  const names: SearchIndexNames = await ensureSearchIndices(search, options);
  const segments = options.segments ?? 4;
  let state = loadState(resumeFile);
  const resumed = state !== undefined;
  if (state && state.segments.length !== segments) {
    throw new BackfillError(
      `the resume file was written with ${state.segments.length} segments, not ${segments}`,
      undefined,
    );
  }
  if (!state) {
    const label = options.label ?? String(Date.now());
    state = {
      ordersIndex: names.orders.versioned(label),
      usersIndex: names.users.versioned(label),
      segments: Array.from({ length: segments }, () => ({ done: false })),
      scanned: 0,
      indexed: 0,
    };
    for (const index of [state.ordersIndex, state.usersIndex]) {
      try {
        await search.indices.create({ index });
      } catch (error) {
        throw requestFailed(`create index ${index}`, error);
      }
    }
    saveState(resumeFile, state);
  }
  const current = state;
  await switchAlias(search, names.orders.write, current.ordersIndex);
  await switchAlias(search, names.users.write, current.usersIndex);
  if (current.markersCopied === undefined) {
    current.markersCopied =
      (await copyMarkers(search, names.orders, current.ordersIndex, maxBulkBytes)) +
      (await copyMarkers(search, names.users, current.usersIndex, maxBulkBytes));
    saveState(resumeFile, current);
  }

  const indexOf = (write: DocumentWrite) =>
    write.kind === 'orders' ? current.ordersIndex : current.usersIndex;
  // Once one segment fails the others stop after their page, so the resume file is final.
  let stopped = false;
  const scanSegment = async (segment: number): Promise<void> => {
    const progress = current.segments[segment]!;
    while (!progress.done && !stopped) {
      const page = await options.dynamodb.send(
        new ScanCommand({
          TableName: options.tableName,
          Segment: segment,
          TotalSegments: segments,
          Limit: options.pageSize ?? 500,
          ConsistentRead: true,
          ...(progress.lastKey ? { ExclusiveStartKey: progress.lastKey } : {}),
        }),
      );
      const writes: DocumentWrite[] = [];
      const orders = new Map<string, OrderTarget>();
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        if (item.entityType === EntityType.user) writes.push(projectUser(item));
        else if (item.entityType === EntityType.order)
          orders.set(item.orderId as string, {
            userId: item.userId as string,
            createdAt: item.createdAt as string,
            sequenceNumbers: [],
          });
      }
      const projection = await projectOrders(orders, new Map(), {
        ...options,
        search: { client: search, names },
      });
      const failure = projection.failures.values().next();
      if (!failure.done)
        throw new BackfillError('orders could not be read', segment, { cause: failure.value });
      writes.push(...projection.writes.values());
      await writeAll(
        search,
        writes.map((write) => ({
          index: indexOf(write),
          id: write.id,
          version: write.version,
          source: write.source,
        })),
        maxBulkBytes,
        segment,
      );
      current.scanned += page.Items?.length ?? 0;
      current.indexed += writes.length;
      if (page.LastEvaluatedKey) progress.lastKey = page.LastEvaluatedKey;
      else {
        progress.done = true;
        delete progress.lastKey;
      }
      saveState(resumeFile, current);
      options.onProgress?.({ scanned: current.scanned, indexed: current.indexed });
    }
  };
  const outcomes = await Promise.allSettled(
    current.segments.map((_, segment) =>
      scanSegment(segment).catch((error: unknown) => {
        stopped = true;
        throw error;
      }),
    ),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;

  try {
    await search.indices.refresh({ index: [current.ordersIndex, current.usersIndex] });
  } catch (error) {
    throw requestFailed('refresh new indices', error);
  }
  await switchAlias(search, names.orders.read, current.ordersIndex);
  await switchAlias(search, names.users.read, current.usersIndex);
  if (resumeFile) rmSync(resumeFile, { force: true });
  return {
    ordersIndex: current.ordersIndex,
    usersIndex: current.usersIndex,
    scanned: current.scanned,
    indexed: current.indexed,
    markersCopied: current.markersCopied ?? 0,
    resumed,
  };
};
