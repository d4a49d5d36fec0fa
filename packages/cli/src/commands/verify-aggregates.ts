import { verify } from '@pipeline/aggregates';
import { DATA_DIR_USAGE } from '../args.js';
import type { Command } from '../command.js';
import { AGGREGATES_ENV_USAGE, runAggregatesScan } from './rebuild-aggregates.js';

const usage = `Usage: verify-aggregates [--segments <n>] [--data-dir <dir>]

Recomputes the aggregates from the main table and compares them with the live counters.
Prints every drifting counter field and exits 1 when there is drift, 0 when none.
Retired lifetime counts (items no longer in the main table) cannot be recomputed and are
reported as totals only.

  --segments <n>   parallel Scan segments, 1 to 64 (default 4)
${DATA_DIR_USAGE}

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
  run: (args) =>
    runAggregatesScan(args, usage, async (options) => {
      const result = await verify(options);
      return () => {
        for (const drift of result.drifts) {
          const difference = drift.actual - drift.expected;
          console.log(
            `drift ${drift.counter} ${drift.field}: expected ${drift.expected}, live ${drift.actual} (${difference > 0n ? '+' : ''}${difference})`,
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
      };
    }),
};
