import { DEFAULT_MARKER_HORIZON_MS, purgeDeletedMarkers } from '@pipeline/search';
import { DATA_DIR_USAGE, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';
import { SEARCH_ENV_USAGE, searchEnvironment } from './backfill-search.js';

const DAY_MS = 24 * 3600 * 1000;

const usage = `Usage: purge-search-markers [--older-than-days <n>] [--prefix <p>] [--data-dir <dir>]

Deletes the deleted-marker documents whose deletion is older than the horizon. Markers
keep late or replayed writes from bringing a deleted document back; past the stream's
24 h retention nothing can arrive any more, so the default horizon of 7 days is safe.

  --older-than-days <n>  horizon in days, at least 1 (default ${DEFAULT_MARKER_HORIZON_MS / DAY_MS})
  --prefix <p>           prefix of the aliases (default none)
${DATA_DIR_USAGE}

${SEARCH_ENV_USAGE}`;

/**
 * `purge-search-markers`: delete markers older than the horizon.
 *
 * @example
 * npm run pipeline -- purge-search-markers --older-than-days 7
 */
export const purgeSearchMarkersCommand: Command = {
  name: 'purge-search-markers',
  summary: 'Delete deleted-marker documents older than a horizon (default 7 days)',
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      'older-than-days': { type: 'string' },
      prefix: { type: 'string' },
    });
    const days = Number(values['older-than-days'] ?? DEFAULT_MARKER_HORIZON_MS / DAY_MS);
    const search = searchEnvironment();
    if (!(Number.isFinite(days) && days >= 1) || typeof search === 'string') {
      console.error(typeof search === 'string' ? search : '--older-than-days must be at least 1');
      console.error(usage);
      return 2;
    }
    try {
      const bar = createProgressBar('purge-search-markers', 2);
      const { deleted, before } = await purgeDeletedMarkers(search, {
        olderThanMs: days * DAY_MS,
        ...(values.prefix ? { prefix: values.prefix } : {}),
      });
      bar.tick(2);
      bar.finish();
      console.log(`${deleted} markers deleted before ${before}`);
      return 0;
    } finally {
      await search.close();
    }
  },
};
