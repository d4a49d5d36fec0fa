import type { ConsumerStats, EventCounts, FreshnessHistory, SandboxStats } from '@pipeline/local';

/** One event source mapping as `GET /pipeline` reports it. */
export interface ConsumerStatus {
  readonly name: string;
  /** Age of the oldest record not yet processed, from its write time; 0 when caught up. */
  readonly lagMs: number;
  /** Which clock `lagMs` came from: the item's own write timestamp or the stream record's. */
  readonly lagSource: ConsumerStats['lagSource'];
  /** Write time → handler returned success over the last 60 s. */
  readonly freshness: ConsumerStats['freshness'];
  /**
   * Freshness (p50, p99) and records processed per second in 10 s buckets over the last
   * 5 minutes, oldest first, kept by the runner so a page opened now sees the minutes before.
   */
  readonly freshnessHistory?: FreshnessHistory;
  /** Records processed per second over the last few seconds. */
  readonly throughputPerSecond: number;
  readonly processed: number;
  readonly recordsIn: number;
  readonly invocations: number;
  readonly failures: number;
  readonly retries: number;
  readonly dlqDepth: number;
  readonly dlqRecords: number;
  /** Reads refused because two other readers held a shard. */
  readonly throttledReads: number;
  /** Lambda's event source mapping event counts. */
  readonly events: EventCounts;
  /** Cold starts and init times of its sandboxes; absent in-process. */
  readonly sandbox?: SandboxStats;
}

/** What `GET /pipeline` answers. */
export interface PipelineStatus {
  readonly at: string;
  readonly consumers: ConsumerStatus[];
}

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
