/**
 * DynamoDB Streams' limit on readers per shard, which DynamoDB Local does not enforce: "No
 * more than two processes at most should be reading from the same streams shard at the
 * same time. Having more than two readers per shard can result in throttling."
 */
import { MAX_READERS_PER_SHARD } from '@pipeline/pipeline';

/**
 * Who reads which shard. A reader holds its place for `leaseMs` after each read, as a
 * poller that reads four times a second keeps its share of a shard's throughput; a third
 * reader is refused while two others hold theirs, and admitted once one of them goes
 * quiet or releases the shard.
 *
 * @example
 * const readers = new ShardReaders();
 * readers.admit('stream/shard-1', mappingA, Date.now()); // true
 */
export class ShardReaders {
  readonly #holders = new Map<string, Map<object, number>>();

  constructor(
    readonly limit = MAX_READERS_PER_SHARD,
    private readonly leaseMs = 5000,
  ) {}

  /** Records a read of `shard` by `reader` at `now`, or returns false if it is refused. */
  admit(shard: string, reader: object, now: number): boolean {
    let holders = this.#holders.get(shard);
    if (!holders) {
      holders = new Map();
      this.#holders.set(shard, holders);
    }
    for (const [holder, lastRead] of holders) {
      if (now - lastRead > this.leaseMs) holders.delete(holder);
    }
    if (!holders.has(reader) && holders.size >= this.limit) return false;
    holders.set(reader, now);
    return true;
  }

  /** Gives up `reader`'s place on `shard`: it stopped reading it. */
  release(shard: string, reader: object): void {
    this.#holders.get(shard)?.delete(reader);
  }
}

/** The readers of every runner in this process, as DynamoDB Streams counts them per shard. */
export const processShardReaders = new ShardReaders();
