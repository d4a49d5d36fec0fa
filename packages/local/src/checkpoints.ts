import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where one consumer stands in one shard. */
export interface ShardCheckpoint {
  /** The last sequence number fully processed (or skipped to the DLQ). */
  readonly sequenceNumber?: string;
  /** The shard is closed and every record in it is processed. */
  readonly completed?: boolean;
}

interface CheckpointFile {
  readonly streamArn: string;
  readonly shards: Record<string, ShardCheckpoint>;
}

/**
 * A consumer's checkpoints in one JSON file, rewritten atomically on every advance so a
 * restart resumes exactly after the last processed record. Checkpoints for another
 * stream (the table was recreated) are ignored.
 */
export class CheckpointStore {
  readonly #file: string;
  readonly #streamArn: string;
  #shards: Record<string, ShardCheckpoint>;

  constructor(file: string, streamArn: string) {
    this.#file = file;
    this.#streamArn = streamArn;
    this.#shards = {};
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as CheckpointFile;
      if (saved.streamArn === streamArn) this.#shards = saved.shards;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  get(shardId: string): ShardCheckpoint | undefined {
    return this.#shards[shardId];
  }

  set(shardId: string, checkpoint: ShardCheckpoint): void {
    this.#shards = { ...this.#shards, [shardId]: checkpoint };
    mkdirSync(dirname(this.#file), { recursive: true });
    const body: CheckpointFile = { streamArn: this.#streamArn, shards: this.#shards };
    writeFileSync(`${this.#file}.tmp`, JSON.stringify(body));
    renameSync(`${this.#file}.tmp`, this.#file);
  }
}
