import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';

/** Options of {@link LocalTtlProcess}. */
export interface LocalTtlProcessOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The TTL attribute, epoch seconds. */
  readonly attribute: string;
  /** The key attribute names, partition key first. */
  readonly keyAttributes: readonly [string, string];
  /**
   * Where the deletions it made are remembered (one JSON line each), so a restart or the
   * replay command still recognises their records.
   */
  readonly ledgerFile: string;
  /** @default 1000 */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/** What the ledger file records of one deletion. */
type LedgerState = 'intent' | 'done' | 'cancelled';

// AWS ignores TTL values more than five years in the past; so does this process.
const FIVE_YEARS_SECONDS = 5 * 365 * 24 * 3600;
// A stream keeps records 24 hours; a deletion older than that can no longer be read back.
const LEDGER_HORIZON_MS = 25 * 3600 * 1000;

/**
 * The TTL process of the local stack. DynamoDB Local 3.3.0 has one of its own, but on a
 * table with GSIs its job builds each delete key from every attribute definition, so the
 * first expired item that lacks a GSI key attribute (a session, a product view) fails the
 * job for good, silently. This process expires items the way DynamoDB does, and remembers
 * what it deleted so the local runner can give those REMOVE records the service identity
 * AWS puts on TTL deletions.
 *
 * @example
 * const ttl = new LocalTtlProcess({ client, tableName, attribute: 'ttl', keyAttributes: ['PK', 'SK'], ledgerFile });
 * ttl.start();
 */
export class LocalTtlProcess {
  readonly #options: LocalTtlProcessOptions;
  readonly #deleted = new Map<string, number>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;

  constructor(options: LocalTtlProcessOptions) {
    this.#options = options;
    const now = this.#now();
    try {
      for (const line of readFileSync(options.ledgerFile, 'utf8').split('\n')) {
        if (!line) continue;
        const [state, entry, at] = JSON.parse(line) as [LedgerState, string, number];
        if (state === 'cancelled') this.#deleted.delete(entry);
        // An intent with no outcome (a crash in between) counts as a deletion: if the item
        // is still there it is expired, and the next sweep deletes it under the same entry.
        else if (now - at < LEDGER_HORIZON_MS) this.#deleted.set(entry, at);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    mkdirSync(dirname(options.ledgerFile), { recursive: true });
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #entry(pk: unknown, sk: unknown, ttl: unknown): string {
    return JSON.stringify([pk, sk, ttl]);
  }

  /** Starts sweeping every interval. */
  start(): void {
    if (this.#timer) return;
    const tick = async () => {
      try {
        await this.sweep();
      } catch {
        // The next tick tries again; a stopped engine ends the process with stop().
      }
      if (this.#timer) this.#timer = setTimeout(tick, this.#options.intervalMs ?? 1000);
    };
    this.#timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  /** Deletes every item whose TTL has passed; resolves to how many it deleted. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const { client, tableName, attribute, keyAttributes } = this.#options;
    const [pkName, skName] = keyAttributes;
    const nowSeconds = Math.floor(this.#now() / 1000);
    let deleted = 0;
    let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: '#ttl BETWEEN :oldest AND :now',
          ExpressionAttributeNames: { '#ttl': attribute, '#pk': pkName, '#sk': skName },
          ExpressionAttributeValues: {
            ':oldest': { N: String(nowSeconds - FIVE_YEARS_SECONDS) },
            ':now': { N: String(nowSeconds) },
          },
          ProjectionExpression: '#pk, #sk, #ttl',
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = item[pkName];
        const sk = item[skName];
        const ttl = item[attribute]?.N;
        if (!pk || !sk || ttl === undefined) continue;
        const entry = this.#entry(pk.S ?? pk.N, sk.S ?? sk.N, ttl);
        // Remembered before the delete, so a crash between the two cannot turn an expiry
        // into what looks like a user's delete.
        const at = this.#now();
        this.#deleted.set(entry, at);
        this.#append('intent', entry, at);
        const deletion = client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: { [pkName]: pk, [skName]: sk },
            // An item whose TTL was extended since the scan is not expired any more.
            ConditionExpression: '#ttl = :ttl',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':ttl': { N: ttl } },
          }),
        );
        this.#inFlight.add(deletion);
        try {
          await deletion;
          deleted++;
          this.#append('done', entry, at);
        } catch (error) {
          // Someone deleted or renewed the item first: their REMOVE is theirs, not an expiry.
          this.#deleted.delete(entry);
          this.#append('cancelled', entry, at);
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        } finally {
          this.#inFlight.delete(deletion);
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }

  #append(state: LedgerState, entry: string, at: number): void {
    appendFileSync(this.#options.ledgerFile, `${JSON.stringify([state, entry, at])}\n`);
  }

  /**
   * Resolves once no delete is in flight. A REMOVE read from the stream was written before
   * this is called, so afterwards {@link expired} knows whether it was this process's:
   * a user's delete that won the race against a sweep has cancelled the sweep's entry.
   */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Whether a Lambda-shaped REMOVE record is one of this process's expiries. */
  expired(record: DynamoDBRecord): boolean {
    if (record.eventName !== 'REMOVE') return false;
    const [pkName, skName] = this.#options.keyAttributes;
    const old = record.dynamodb?.OldImage;
    const pk = old?.[pkName];
    const sk = old?.[skName];
    const ttl = old?.[this.#options.attribute]?.N;
    if (!pk || !sk || ttl === undefined) return false;
    return this.#deleted.has(this.#entry(pk.S ?? pk.N, sk.S ?? sk.N, ttl));
  }
}
