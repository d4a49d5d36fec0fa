import { FaultKind, faultKinds } from './faults.js';
import type { ChaosReport } from './run.js';

const faultNote = (report: ChaosReport, kind: FaultKind): string => {
  if (kind === FaultKind.searchNodeKilled) {
    if (report.searchNodeKillNotExercised)
      return `not possible: ${report.searchNodeKillNotExercised}`;
    if (report.searchNodeOutagesMs.length > 0)
      return `down ${report.searchNodeOutagesMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; ${report.searchUnreachableBulks} bulk requests found no node`;
  }
  return report.faults[kind] === 0 ? 'none injected in this run' : '';
};

/**
 * Renders a chaos report as the lines `npm run chaos` prints: invariants as figures,
 * faults per kind (saying so for a kind never injected), and what failed.
 *
 * @example
 * console.log(formatChaosReport(await runChaos({ seed: 1, ops: 200 })));
 */
export const formatChaosReport = (report: ChaosReport): string => {
  const lines: string[] = [];
  const row = (name: string, value: string | number, note = '') =>
    lines.push(`  ${name.padEnd(34)} ${String(value).padStart(8)}${note ? `  ${note}` : ''}`);
  lines.push(
    `chaos run: seed ${report.seed}, ${report.ops} operations, ${(report.durationMs / 1000).toFixed(1)} s, ${report.runner.starts} runner starts`,
  );
  lines.push('operations');
  for (const [kind, count] of Object.entries(report.workload.operations)) row(kind, count);
  row('invalid transitions refused', report.workload.refusedTransitions);
  row('invalid transitions accepted', report.workload.acceptedInvalidTransitions, 'target 0');
  lines.push('search');
  row('users checked', report.search.usersChecked);
  row('orders checked', report.search.ordersChecked);
  row('chaos.missing', report.search.missing, 'target <= 0');
  row('chaos.stale', report.search.stale, 'target <= 0');
  row('chaos.resurrected', report.search.resurrected, 'target <= 0');
  lines.push('aggregates');
  row('counters compared', report.aggregates.countersCompared);
  row('unreadable items (poison)', report.aggregates.unreadable);
  row(
    'chaos.aggregate_drift',
    report.aggregates.drift,
    `target <= 0 (|delta| ${report.aggregates.driftTotal})`,
  );
  lines.push('archive');
  if (report.ttlNotExercised) lines.push(`  TTL faults: not exercised (${report.ttlNotExercised})`);
  row('expired through TTL', report.archive.expired);
  row('not yet expired at the end', report.archive.notYetExpired);
  row('archived (after dedupe)', report.archive.archived);
  row('chaos.archive_lost', report.archive.lost, 'target <= 0');
  row('duplicates after dedupe', report.archive.duplicates, 'target <= 0');
  row('user deletes archived', report.archive.userDeletesArchived, 'target <= 0');
  lines.push('dlq replay');
  row('messages', report.dlq.messages);
  row('replayed', report.dlq.replayed);
  row('poison (stay failed)', report.dlq.poison, `${report.workload.poisonItems} poison items`);
  row('poison items not queued', report.dlq.poisonNotQueued, 'target 0');
  row('still failing', report.dlq.stillFailing, 'target 0');
  lines.push('faults injected');
  for (const kind of faultKinds) {
    const count = report.faults[kind];
    row(kind, count, faultNote(report, kind));
  }
  row('chaos.faults_injected', report.faultsInjected);
  lines.push('runner (summed over restarts)');
  for (const stats of report.runner.consumers) {
    lines.push(
      `  ${stats.name.padEnd(18)} invocations ${stats.invocations}, failures ${stats.failures}, retries ${stats.retries}, bisections ${stats.bisections}, dlq ${stats.dlqMessages}`,
    );
  }
  const examples = [
    ...report.search.examples,
    ...report.aggregates.examples,
    ...report.archive.examples,
  ];
  if (examples.length > 0) {
    lines.push('examples');
    for (const example of examples) lines.push(`  ${example}`);
  }
  lines.push(
    report.failures.length === 0
      ? 'every invariant held'
      : `FAILED (replay with --seed ${report.seed} --ops ${report.ops}):\n${report.failures.map((failure) => `  ${failure}`).join('\n')}`,
  );
  return lines.join('\n');
};
