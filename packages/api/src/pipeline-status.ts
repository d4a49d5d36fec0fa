import type { ConsumerStats } from '@pipeline/local';
import type { PipelineStatus } from './response-schemas.js';

interface Sample {
  readonly atMs: number;
  readonly processed: ReadonlyMap<string, number>;
}

/**
 * Turns the runner's cumulative counters into a status with throughput: it keeps the
 * samples of the last `windowMs` and divides the growth of `processed` by the time it took.
 *
 * @example
 * const status = createPipelineStatus(() => runner.stats());
 * status(Date.now()).consumers[0].throughputPerSecond
 */
export const createPipelineStatus = (
  read: () => readonly ConsumerStats[],
  windowMs = 5_000,
): ((nowMs: number) => PipelineStatus) => {
  const samples: Sample[] = [];
  return (nowMs) => {
    const stats = read();
    samples.push({
      atMs: nowMs,
      processed: new Map(stats.map((consumer) => [consumer.name, consumer.processed])),
    });
    while (samples.length > 2 && (samples[0]?.atMs ?? nowMs) < nowMs - windowMs) samples.shift();
    const oldest = samples[0];
    const seconds = oldest ? (nowMs - oldest.atMs) / 1000 : 0;
    return {
      at: new Date(nowMs).toISOString(),
      consumers: stats.map((consumer) => {
        const before = oldest?.processed.get(consumer.name) ?? consumer.processed;
        return {
          name: consumer.name,
          lagMs: consumer.lagMs,
          lagSource: consumer.lagSource,
          freshness: consumer.freshness,
          throughputPerSecond:
            seconds > 0 ? Math.round(((consumer.processed - before) / seconds) * 10) / 10 : 0,
          processed: consumer.processed,
          recordsIn: consumer.recordsIn,
          invocations: consumer.invocations,
          failures: consumer.failures,
          retries: consumer.retries,
          dlqDepth: consumer.dlqDepth,
          dlqRecords: consumer.dlqRecords,
          throttledReads: consumer.throttledReads,
          events: consumer.events,
          ...(consumer.freshnessHistory ? { freshnessHistory: consumer.freshnessHistory } : {}),
          ...(consumer.sandbox ? { sandbox: consumer.sandbox } : {}),
        };
      }),
    };
  };
};
