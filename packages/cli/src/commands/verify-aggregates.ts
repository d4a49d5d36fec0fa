import { parseArgs } from 'node:util';
import { aggregates, verify } from '@pipeline/aggregates';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';
import {
  AGGREGATES_ENV_USAGE,
  aggregatesEnvironment,
  parseSegments,
} from './rebuild-aggregates.js';

const usage = `Usage: verify-aggregates [--segments <n>]

Recomputes the aggregates from the main table and compares them with the live counters.
Prints every drifting counter field and exits 1 when there is drift, 0 when none.
Retired lifetime counts (items no longer in the main table) cannot be recomputed and are
reported as totals only.

  --segments <n>   parallel Scan segments, 1 to 64 (default 4)

${AGGREGATES_ENV_USAGE}`;

/**
 * `verify-aggregates`: print drift per counter; a non-zero exit code on drift.
 *
 * @example
 * npm run pipeline -- verify-aggregates
 */
export const verifyAggregatesCommand: Command = {
  name: 'verify-aggregates',
  summary: 'Compare the live aggregates with a recomputation from the main table',
  usage,
  async run(args) {
    const { values } = parseArgs({
      args: [...args],
      options: { segments: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(usage);
      return 0;
    }
    const segments = parseSegments(values.segments);
    const environment = aggregatesEnvironment();
    if (segments === undefined || typeof environment === 'string') {
      console.error(
        segments === undefined ? '--segments must be an integer from 1 to 64' : environment,
      );
      console.error(usage);
      return 2;
    }
    const bar = createProgressBar('scanning main table');
    let seen = 0;
    try {
      const result = await verify({
        ...environment,
        declarations: aggregates,
        segments,
        onProgress: (scanned) => {
          bar.tick(scanned - seen);
          seen = scanned;
        },
      });
      bar.finish();
      for (const drift of result.drifts) {
        console.log(
          `drift ${drift.counter} ${drift.field}: expected ${drift.expected}, live ${drift.actual} (${drift.actual - drift.expected > 0n ? '+' : ''}${drift.actual - drift.expected})`,
        );
      }
      let retired = 0n;
      for (const totals of result.retired.values())
        for (const value of totals.retired.values()) retired += value;
      console.log(
        `generation ${result.generation}: ${result.countersCompared} counters compared, ${result.drifts.length} drifting fields, ` +
          `${result.scanned} items scanned, ${result.invalid} unreadable, retired lifetime total ${retired}`,
      );
      return result.drifts.length > 0 ? 1 : 0;
    } finally {
      environment.client.destroy();
    }
  },
};
