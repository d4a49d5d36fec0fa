import { FaultKind, faultKinds, runChaos } from '@pipeline/chaos';
import { describe, expect, inject, it } from 'vitest';

/**
 * Sizes that keep CI fast; `npm run chaos` takes larger ones. The first seed runs on an
 * OpenSearch node of its own and SIGKILLs it a third into the operations; the others share
 * the run's node (a JVM start each would cost more than the rest of the run), so every fault
 * but the node kill.
 */
const seeds = [
  { seed: 4, ops: 300, ownSearchNode: true },
  { seed: 7, ops: 150, ownSearchNode: false },
  { seed: 13, ops: 150, ownSearchNode: false },
] as const;

describe('the pipeline under seeded faults', () => {
  it.each(seeds)(
    'keeps search, aggregates and archive exact through every kind of fault (seed $seed, $ops operations)',
    async ({ seed, ops, ownSearchNode }) => {
      // Prepare
      const options = {
        seed,
        ops,
        ttlSeconds: 2,
        ttlWaitMs: 10_000,
        // A run this small makes few bulk requests, transactions and batches, and how records
        // group into batches varies with timing: make sure every kind occurs at least once.
        everyFaultKind: true,
        rates: { dynamodbThrottle: 0.15, dynamodbConflict: 0.3 },
        dynamodbEndpoint: inject('dynamodbEndpoint'),
        ...(ownSearchNode ? {} : { openSearchUrl: inject('opensearchUrl') }),
      };
      // Act
      const report = await runChaos(options);
      // Assess
      expect(report.failures).toEqual([]);
      expect(report.search).toMatchObject({ missing: 0, stale: 0, resurrected: 0 });
      expect(report.aggregates.drift).toBe(0);
      expect(report.archive).toMatchObject({ lost: 0, duplicates: 0, userDeletesArchived: 0 });
      expect(report.ttlNotExercised).toBeUndefined();
      expect(report.archive.expired).toBeGreaterThan(0);
      expect(report.workload.refusedTransitions).toBeGreaterThan(0);
      expect(report.dlq).toMatchObject({ stillFailing: 0, poisonNotQueued: 0 });
      const expected = ownSearchNode
        ? faultKinds
        : faultKinds.filter((kind) => kind !== FaultKind.searchNodeKilled);
      for (const kind of expected) {
        expect({ kind, injected: report.faults[kind] > 0 }).toEqual({ kind, injected: true });
      }
      if (!ownSearchNode) return;
      // The run's own OpenSearch JVM was SIGKILLed mid-run and came back on its data directory.
      expect(report.searchNodeKillNotExercised).toBeUndefined();
      expect(report.searchNodeOutagesMs).toHaveLength(report.faults.searchNodeKilled);
      // While it was down, the consumer's bulk requests were refused, and retried.
      expect(report.searchUnreachableBulks).toBeGreaterThan(0);
    },
    // The node's SIGKILL and restart take a minute on a busy 2-core machine.
    300_000,
  );
});
