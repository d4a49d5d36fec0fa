import type { CrashRecoveryReport } from './crash.js';
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

type Row = (name: string, value: string | number, note?: string) => void;

/** Renders rows into lines of their own, in the report's column layout. */
const rowsOf = (): { lines: string[]; row: Row } => {
  const lines: string[] = [];
  const row: Row = (name, value, note = '') =>
    lines.push(`  ${name.padEnd(34)} ${String(value).padStart(8)}${note ? `  ${note}` : ''}`);
  return { lines, row };
};

/** The search, aggregates and archive sections of a report. */
const endStateLines = (
  report: Pick<ChaosReport, 'search' | 'aggregates' | 'archive' | 'ttlNotExercised'>,
): string[] => {
  const { lines, row } = rowsOf();
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
  return lines;
};

/** A few examples of what failed, when anything did. */
const exampleLines = (report: Pick<ChaosReport, 'search' | 'aggregates' | 'archive'>): string[] => {
  const lines: string[] = [];
  const examples = [
    ...report.search.examples,
    ...report.aggregates.examples,
    ...report.archive.examples,
  ];
  if (examples.length > 0) {
    lines.push('examples');
    for (const example of examples) lines.push(`  ${example}`);
  }
  return lines;
};

/**
 * Renders a chaos report as the lines `npm run chaos` prints: invariants as figures,
 * faults per kind (saying so for a kind never injected), and what failed.
 *
 * @example
 * console.log(formatChaosReport(await runChaos({ seed: 1, ops: 200 })));
 */
export const formatChaosReport = (report: ChaosReport): string => {
  const { lines, row } = rowsOf();
  lines.push(
    `chaos run: seed ${report.seed}, ${report.ops} operations, ${(report.durationMs / 1000).toFixed(1)} s, ${report.runner.starts} runner starts`,
  );
  lines.push('operations');
  for (const [kind, count] of Object.entries(report.workload.operations)) row(kind, count);
  row('invalid transitions refused', report.workload.refusedTransitions);
  row('invalid transitions accepted', report.workload.acceptedInvalidTransitions, 'target 0');
  lines.push(...endStateLines(report));
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
  lines.push(...exampleLines(report));
  lines.push(
    report.failures.length === 0
      ? 'every invariant held'
      : `FAILED (replay with --seed ${report.seed} --ops ${report.ops}):\n${report.failures.map((failure) => `  ${failure}`).join('\n')}`,
  );
  return lines.join('\n');
};

/**
 * Renders a crash-recovery report as `npm run chaos -- --crash-restarts <n>` prints it:
 * the kills and restarts, the operations, the end-state invariants, and what failed.
 *
 * @example
 * console.log(formatCrashRecoveryReport(await runCrashRecovery({ stack, seed: 1, ops: 200, crashes: 3 })));
 */
export const formatCrashRecoveryReport = (report: CrashRecoveryReport): string => {
  const { lines, row } = rowsOf();
  lines.push(
    `crash recovery: seed ${report.seed}, ${report.ops} operations, ${report.crashes} SIGKILLs of the whole stack, ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  lines.push('stack');
  row('killed before operations', report.crashedBefore.join(', ') || '-');
  row('processes killed each time', report.killedProcesses.join(', ') || '-');
  row(
    'starts until serving',
    report.startsMs.length,
    report.startsMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', '),
  );
  lines.push('operations');
  for (const [kind, count] of Object.entries(report.workload.operations)) row(kind, count);
  row('invalid transitions accepted', report.workload.acceptedInvalidTransitions, 'target 0');
  lines.push(...endStateLines(report));
  lines.push('on-failure queues');
  row('messages at the end', report.dlqDepth, 'target 0');
  lines.push(...exampleLines(report));
  lines.push(
    report.failures.length === 0
      ? 'every invariant held'
      : `FAILED (replay with --seed ${report.seed} --ops ${report.ops} --crash-restarts ${report.crashes}):\n${report.failures.map((failure) => `  ${failure}`).join('\n')}`,
  );
  return lines.join('\n');
};
