import type { Metrics } from '@aws-lambda-powertools/metrics';

/** The part of a Powertools `Metrics` the processors use; the caller publishes. */
export type MetricsSink = Pick<Metrics, 'addMetric'>;

/** Names of the EMF metrics the processors emit. */
export const StreamMetric = {
  recordsIn: 'RecordsIn',
  applied: 'Applied',
  /** Not applied because an earlier record of the same item failed in this batch. */
  skipped: 'Skipped',
  failed: 'Failed',
  /** Now minus the oldest record's approximate creation time. */
  batchAgeMs: 'BatchAgeMs',
} as const;

/** Counts of one processed batch. */
export interface BatchCounts {
  readonly recordsIn: number;
  readonly applied: number;
  readonly skipped: number;
  readonly failed: number;
  /** `undefined` when no record carried a creation time. */
  readonly batchAgeMs: number | undefined;
}

/** Adds one batch's figures to a Powertools `Metrics`; a no-op without one. */
export const addBatchMetrics = (metrics: MetricsSink | undefined, counts: BatchCounts): void => {
  if (metrics === undefined) return;
  metrics.addMetric(StreamMetric.recordsIn, 'Count', counts.recordsIn);
  metrics.addMetric(StreamMetric.applied, 'Count', counts.applied);
  metrics.addMetric(StreamMetric.skipped, 'Count', counts.skipped);
  metrics.addMetric(StreamMetric.failed, 'Count', counts.failed);
  if (counts.batchAgeMs !== undefined) {
    metrics.addMetric(StreamMetric.batchAgeMs, 'Milliseconds', counts.batchAgeMs);
  }
};
