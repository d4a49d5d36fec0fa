import type { Client } from '@opensearch-project/opensearch';
import { requestFailed, searchIndexNames } from './indices.js';

/** How long deleted markers are kept by default: far beyond the stream's 24 h retention. */
export const DEFAULT_MARKER_HORIZON_MS = 7 * 24 * 3600 * 1000;

/**
 * Builds the query matching deleted markers whose deletion is older than `before`.
 *
 * @example
 * buildPurgeMarkersQuery('2024-05-01T00:00:00.000Z')
 */
export const buildPurgeMarkersQuery = (before: string) => ({
  query: {
    bool: {
      filter: [{ term: { deleted: true } }, { range: { deletedAt: { lt: before } } }],
    },
  },
});

/** Options of {@link purgeDeletedMarkers}. */
export interface PurgeMarkersOptions {
  readonly prefix?: string;
  /** Markers whose deletion is older than this go. @default 7 days */
  readonly olderThanMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Deletes deleted-marker documents older than the horizon from both kinds of index, with
 * `_delete_by_query`. A marker that a re-created document replaced meanwhile is a version
 * conflict and stays replaced (`conflicts=proceed`).
 *
 * @example
 * const { deleted } = await purgeDeletedMarkers(client, { olderThanMs: 7 * 86_400_000 });
 */
export const purgeDeletedMarkers = async (
  client: Client,
  options: PurgeMarkersOptions = {},
): Promise<{ deleted: number; before: string }> => {
  const names = searchIndexNames(options.prefix);
  const before = new Date(
    (options.now ?? Date.now)() - (options.olderThanMs ?? DEFAULT_MARKER_HORIZON_MS),
  ).toISOString();
  let deleted = 0;
  for (const kind of [names.orders, names.users]) {
    try {
      const response = await client.deleteByQuery({
        index: [kind.read, kind.write],
        conflicts: 'proceed',
        refresh: true,
        body: buildPurgeMarkersQuery(before) as never,
      });
      deleted += Number((response.body as { deleted?: number }).deleted ?? 0);
    } catch (error) {
      throw requestFailed(`purge markers of ${kind.read}`, error);
    }
  }
  return { deleted, before };
};
