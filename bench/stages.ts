/**
 * Stage timing for the end-to-end benchmark: when each write passed each stage, from the
 * acknowledged write to visible to a reader, and the p50/p99 of every stage.
 */

import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { RecordStages } from '@pipeline/local';
import { percentile } from './figure.js';

/** The stages of one write, in the order a write passes them. */
export const STAGES = [
  'stream',
  'poll',
  'batch',
  'dispatch',
  'sink',
  'visible',
] as const satisfies readonly string[];
export type Stage = (typeof STAGES)[number];

/** What each stage spans, for the report. */
export const STAGE_SPANS: Readonly<Record<Stage, string>> = {
  stream: 'acknowledged write → record readable on the stream (a probe reader polling every 10 ms)',
  poll: 'readable → read by the runner (its GetRecords answered)',
  batch: 'read → batch closed (batch size, batching window)',
  dispatch: 'batch closed → handler start inside the sandbox',
  sink: 'handler start → handler returned (sink acknowledged)',
  visible: 'handler returned → visible to a reader (search after refresh, or the aggregate read)',
};

/** One write's timeline for one mapping, epoch milliseconds. */
interface Timeline {
  ackMs?: number;
  streamMs?: number;
  stages?: RecordStages;
  visibleMs?: number;
}

// The order id ends the order item's sort key, ORDER#<createdAt>#<orderId>.
const orderIdOf = (stages: RecordStages): string | undefined => {
  const sortKey = stages.keys?.SK?.S;
  if (!sortKey?.startsWith('ORDER#')) return undefined;
  return sortKey.slice(sortKey.lastIndexOf('#') + 1);
};

/** Collects the timelines of the writes of one phase, for one reader path each. */
export class StageRecorder {
  readonly #byPath = new Map<string, Map<string, Timeline>>();
  readonly #streamSeen = new Map<string, number>();

  constructor(
    /** Which mapping serves which path, such as `{ search: 'sync-search' }`. */
    private readonly mappingOfPath: Readonly<Record<string, string>>,
  ) {
    for (const path of Object.keys(mappingOfPath)) this.#byPath.set(path, new Map());
  }

  #timeline(path: string, orderId: string): Timeline {
    const timelines = this.#byPath.get(path)!;
    let timeline = timelines.get(orderId);
    if (!timeline) {
      timeline = {};
      timelines.set(orderId, timeline);
    }
    return timeline;
  }

  acknowledged(orderId: string, at: number): void {
    for (const path of this.#byPath.keys()) this.#timeline(path, orderId).ackMs = at;
  }

  readableOnStream(orderId: string, at: number): void {
    if (!this.#streamSeen.has(orderId)) this.#streamSeen.set(orderId, at);
  }

  /** The runner's `onRecordStages`. */
  readonly observe = (stages: RecordStages): void => {
    const orderId = orderIdOf(stages);
    if (!orderId) return;
    for (const [path, mapping] of Object.entries(this.mappingOfPath)) {
      if (mapping !== stages.consumer) continue;
      const timeline = this.#timeline(path, orderId);
      // A retried record keeps its first successful delivery.
      timeline.stages ??= stages;
    }
  };

  visible(path: string, orderId: string, at: number): void {
    this.#timeline(path, orderId).visibleMs ??= at;
  }

  /**
   * Per-stage durations of every complete write of `path`, and how much of the end-to-end
   * tail the stages explain: over the writes at or above the end-to-end p99, the share of
   * their end-to-end time that falls in a measured stage. A stage whose bound came before
   * the previous one (the probe saw a record before its write was acknowledged) counts 0,
   * and the next stage starts from the later of the two, so the stages tile the whole span.
   */
  summarise(path: string): StageSummary {
    const durations = Object.fromEntries(STAGES.map((stage) => [stage, [] as number[]])) as Record<
      Stage,
      number[]
    >;
    const rows: { total: number; explained: number }[] = [];
    for (const [orderId, timeline] of this.#byPath.get(path) ?? []) {
      const { ackMs, stages, visibleMs } = timeline;
      if (ackMs === undefined || visibleMs === undefined) continue;
      const bounds: (number | undefined)[] = [
        this.#streamSeen.get(orderId),
        stages?.readMs,
        stages?.batchClosedMs,
        stages?.handlerStartMs,
        stages?.handlerEndMs,
        visibleMs,
      ];
      let previous = ackMs;
      let explained = 0;
      STAGES.forEach((stage, index) => {
        const bound = bounds[index];
        if (bound === undefined) return;
        const duration = Math.max(0, bound - previous);
        durations[stage].push(duration);
        explained += duration;
        previous = Math.max(previous, bound);
      });
      rows.push({ total: visibleMs - ackMs, explained: Math.min(explained, visibleMs - ackMs) });
    }
    const totals = rows.map((row) => row.total);
    const p99 = percentile(totals, 99);
    const tail = rows.filter((row) => row.total >= p99);
    const tailTotal = tail.reduce((sum, row) => sum + row.total, 0);
    const tailExplained = tail.reduce((sum, row) => sum + row.explained, 0);
    return {
      writes: rows.length,
      endToEnd: { p50: percentile(totals, 50), p99 },
      stages: Object.fromEntries(
        STAGES.map((stage) => [
          stage,
          { p50: percentile(durations[stage], 50), p99: percentile(durations[stage], 99) },
        ]),
      ) as StageSummary['stages'],
      explainedPct: tailTotal > 0 ? (100 * tailExplained) / tailTotal : Number.NaN,
    };
  }
}

/** p50 and p99 of each stage and of the whole, in milliseconds. */
export interface StageSummary {
  readonly writes: number;
  readonly endToEnd: { readonly p50: number; readonly p99: number };
  readonly stages: Readonly<Record<Stage, { readonly p50: number; readonly p99: number }>>;
  /** Share of the end-to-end tail (writes at or above its p99) that the stages account for. */
  readonly explainedPct: number;
}

/** The breakdown as one line, for a figure's note. */
export const describeStages = (summary: StageSummary): string =>
  STAGES.map(
    (stage) =>
      `${stage} ${Math.round(summary.stages[stage].p50)}/${Math.round(summary.stages[stage].p99)}`,
  ).join(', ');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads the stream beside the runner, from the latest record on, and tells when each
 * order's record first became readable. DynamoDB Local does not enforce the two-reader
 * limit, and the runner's own limit counts only its mappings, so the probe takes no slot.
 */
export const probeStream = (
  client: DynamoDBStreamsClient,
  streamArn: string,
  onOrder: (orderId: string, at: number) => void,
): { stop(): Promise<void> } => {
  let stopping = false;
  const iterators = new Map<string, string | undefined>();
  const discover = async (type: 'LATEST' | 'TRIM_HORIZON') => {
    const { StreamDescription } = await client.send(
      new DescribeStreamCommand({ StreamArn: streamArn }),
    );
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (!shardId || iterators.has(shardId)) continue;
      // A shard that is already closed holds nothing new.
      if (type === 'LATEST' && shard.SequenceNumberRange?.EndingSequenceNumber) {
        iterators.set(shardId, undefined);
        continue;
      }
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: type,
        }),
      );
      iterators.set(shardId, ShardIterator);
    }
  };
  const loop = (async () => {
    await discover('LATEST');
    let discoveredAt = Date.now();
    while (!stopping) {
      let read = 0;
      for (const [shardId, iterator] of iterators) {
        if (!iterator) continue;
        const response = await client.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
        );
        const at = Date.now();
        for (const record of response.Records ?? []) {
          const sortKey = record.dynamodb?.Keys?.SK?.S;
          if (sortKey?.startsWith('ORDER#') && record.eventName === 'INSERT')
            onOrder(sortKey.slice(sortKey.lastIndexOf('#') + 1), at);
        }
        read += response.Records?.length ?? 0;
        iterators.set(shardId, response.NextShardIterator);
      }
      if (Date.now() - discoveredAt > 1000) {
        await discover('TRIM_HORIZON');
        discoveredAt = Date.now();
      }
      if (read === 0) await sleep(10);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
    },
  };
};
