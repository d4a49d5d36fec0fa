import { faultKinds, runChaos } from '@pipeline/chaos';
import { describe, expect, inject, it } from 'vitest';

describe('the pipeline under seeded faults', () => {
  it('keeps search, aggregates and archive exact through every kind of fault', async () => {
    // Prepare: a size that keeps CI fast; `npm run chaos` takes larger ones.
    const options = {
      seed: 4,
      ops: 300,
      ttlSeconds: 2,
      ttlWaitMs: 10_000,
      // A run this small makes few bulk requests, transactions and batches, and how records
      // group into batches varies with timing: make sure every kind occurs at least once.
      // That includes one SIGKILL of the OpenSearch node, a third into the operations.
      everyFaultKind: true,
      rates: { dynamodbThrottle: 0.15, dynamodbConflict: 0.3 },
      dynamodbEndpoint: inject('dynamodbEndpoint'),
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
    // The run's own OpenSearch JVM was SIGKILLed mid-run and came back on its data directory.
    expect(report.searchNodeKillNotExercised).toBeUndefined();
    expect(report.searchNodeOutagesMs).toHaveLength(report.faults.searchNodeKilled);
    // While it was down, the consumer's bulk requests were refused, and retried.
    expect(report.searchUnreachableBulks).toBeGreaterThan(0);
    for (const kind of faultKinds) {
      expect({ kind, injected: report.faults[kind] > 0 }).toEqual({ kind, injected: true });
    }
  }, 180_000);
});
