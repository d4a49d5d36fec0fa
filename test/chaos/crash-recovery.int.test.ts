import { runCrashRecovery } from '@pipeline/chaos';
import { createSearchClient, removeSearchIndices } from '@pipeline/search';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { npmStartStack } from '../../packages/cli/src/commands/chaos.js';

// The stack runs on the run's OpenSearch under the unprefixed names, which no other test uses.
const clearSearch = async () => {
  const search = createSearchClient({ node: inject('opensearchUrl') });
  try {
    await removeSearchIndices(search);
  } finally {
    await search.close();
  }
};

beforeAll(clearSearch);
afterAll(clearSearch);

describe('the stack SIGKILLed mid-traffic and started again on its data directory', () => {
  it('loses nothing: search matches the table, aggregates are exact, the archive is complete', async () => {
    // Prepare: the run's OpenSearch stays up, so that each restart costs only DynamoDB
    // Local's JVM and CI stays fast; `npm run chaos -- --crash-restarts 3` kills it too.
    const stack = {
      ...npmStartStack(),
      extraArgs: ['--opensearch-url', inject('opensearchUrl')],
    };
    // Act
    const report = await runCrashRecovery({
      stack,
      seed: 11,
      ops: 150,
      crashes: 3,
      opsPerSecond: 40,
      ttlSeconds: 2,
      ttlWaitMs: 20_000,
      settleTimeoutMs: 60_000,
      onProgress: (line) => console.error(new Date().toISOString(), line),
    });
    // Assess
    expect(report.failures).toEqual([]);
    expect(report.startsMs).toHaveLength(4);
    // Node and DynamoDB Local's JVM at least, each time.
    expect(report.killedProcesses).toHaveLength(3);
    for (const killed of report.killedProcesses) expect(killed).toBeGreaterThanOrEqual(2);
    expect(report.search).toMatchObject({ missing: 0, stale: 0, resurrected: 0 });
    expect(report.search.ordersChecked).toBeGreaterThan(0);
    expect(report.aggregates.drift).toBe(0);
    expect(report.aggregates.countersCompared).toBeGreaterThan(0);
    expect(report.archive).toMatchObject({ lost: 0, duplicates: 0, userDeletesArchived: 0 });
    expect(report.archive.expired).toBeGreaterThan(0);
    expect(report.dlqDepth).toBe(0);
  }, 240_000);
});
