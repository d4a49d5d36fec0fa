/**
 * The chaos run at a moderate size: the whole local pipeline under seeded faults (handler
 * throws, OpenSearch 429/500/413/timeouts, DynamoDB throttling and conflicts, duplicate
 * deliveries, crashes before the checkpoint, runner restarts, poison records) and TTL
 * expiries, then its end-state invariants after the DLQ replay. Every invariant's target
 * is 0. The full workload runs, customer deletions included.
 *
 * Reproduce: `npm run chaos -- --seed 1 --ops 1500`.
 */
import { runChaos } from '@pipeline/chaos';
import type { Benchmark, Figure } from './figure.js';

const SEED = 1;
const OPS = 1500;

export const benchmark: Benchmark = {
  title: `Chaos run (seed ${SEED}, ${OPS} operations, faults on)`,
  async run(): Promise<Figure[]> {
    const report = await runChaos({ seed: SEED, ops: OPS, ttlWaitMs: 30_000 });
    const command = `npm run chaos -- --seed ${SEED} --ops ${OPS}`;
    const kinds = Object.entries(report.faults)
      .map(([kind, count]) => `${kind} ${count}`)
      .join(', ');
    const failures = report.failures.length > 0 ? `; failed: ${report.failures.join('; ')}` : '';
    return [
      {
        name: 'chaos.missing',
        value: report.search.missing,
        unit: 'documents',
        target: '<= 0',
        note: `live users and orders not indexed (${report.search.usersChecked} users, ${report.search.ordersChecked} orders checked); ${command}`,
      },
      {
        name: 'chaos.stale',
        value: report.search.stale,
        unit: 'documents',
        target: '<= 0',
        note: 'documents not at their items latest revisions',
      },
      {
        name: 'chaos.resurrected',
        value: report.search.resurrected,
        unit: 'documents',
        target: '<= 0',
        note: 'visible documents of deleted items',
      },
      {
        name: 'chaos.aggregate_drift',
        value: report.aggregates.drift,
        unit: 'counter fields',
        target: '<= 0',
        note: `against a recomputation from the table, ${report.aggregates.countersCompared} counters compared`,
      },
      {
        name: 'chaos.archive_lost',
        value: report.archive.lost,
        unit: 'items',
        target: '<= 0',
        note: report.ttlNotExercised
          ? `TTL faults: not exercised (${report.ttlNotExercised})`
          : `${report.archive.expired} TTL expiries, ${report.archive.duplicates} duplicates after dedupe, ${report.archive.userDeletesArchived} user deletes archived`,
      },
      {
        name: 'chaos.faults_injected',
        value: report.faultsInjected,
        unit: 'faults',
        note: `${kinds}; ${report.dlq.messages} DLQ messages, ${report.dlq.poison} poison kept${failures}`,
      },
    ];
  },
};
