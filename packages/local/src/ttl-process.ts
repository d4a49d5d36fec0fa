import { appendFileSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { TtlLedgerCorruptError } from './errors.js';

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
  /** Where a torn last line of the ledger is reported. @default console.warn */
  readonly onWarning?: (message: string) => void;
}

/** What the ledger file records of one deletion. */
type LedgerState = 'intent' | 'done' | 'cancelled';

const LEDGER_STATES: readonly string[] = ['intent', 'done', 'cancelled'];

/** One ledger line, `[state, entry, at]`, or `undefined` when it is not one. */
const parseLedgerLine = (line: string): [LedgerState, string, number] | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const [state, entry, at] = value as unknown[];
  return typeof state === 'string' &&
    LEDGER_STATES.includes(state) &&
    typeof entry === 'string' &&
    typeof at === 'number'
    ? [state as LedgerState, entry, at]
    : undefined;
};

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
    for (const [state, entry, at] of this.#readLedger()) {
      if (state === 'cancelled') this.#deleted.delete(entry);
      // An intent with no outcome (a crash in between) counts as a deletion: if the item
      // is still there it is expired, and the next sweep deletes it under the same entry.
      else if (now - at < LEDGER_HORIZON_MS) this.#deleted.set(entry, at);
    }
    mkdirSync(dirname(options.ledgerFile), { recursive: true });
  }

  /**
   * The ledger's lines. A torn last line is what a crash in the middle of an append leaves:
   * it is dropped with a warning (its deletion either never started or is found expired
   * again by the next sweep) and the file is cut back to its last whole line, so later
   * appends start on a line of their own. A bad line anywhere else is corruption.
   */
  #readLedger(): [LedgerState, string, number][] {
    const file = this.#options.ledgerFile;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines = text.split('\n');
    const entries: [LedgerState, string, number][] = [];
    let whole = 0;
    for (const [index, line] of lines.entries()) {
      if (line) {
        const parsed = parseLedgerLine(line);
        const last = lines.slice(index + 1).every((rest) => rest === '');
        if (!parsed && last) {
          (this.#options.onWarning ?? console.warn)(
            `${file}: dropped a torn last line ${index + 1} (${JSON.stringify(line.slice(0, 80))}), left by a crash mid-append`,
          );
          truncateSync(file, whole);
          break;
        }
        if (!parsed) throw new TtlLedgerCorruptError(file, index + 1, line);
        entries.push(parsed);
      }
      whole += Buffer.byteLength(line) + 1;
    }
    return entries;
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

  /**
   * When this process deleted the item of a Lambda-shaped REMOVE record, in epoch
   * milliseconds, or `undefined` when the REMOVE is not one of its expiries. The time is
   * taken just before the DeleteItem is sent, after the scan that found the item expired,
   * so it is never earlier than the item's TTL.
   */
  deletedAt(record: DynamoDBRecord): number | undefined {
    if (record.eventName !== 'REMOVE') return undefined;
    const [pkName, skName] = this.#options.keyAttributes;
    const old = record.dynamodb?.OldImage;
    const pk = old?.[pkName];
    const sk = old?.[skName];
    const ttl = old?.[this.#options.attribute]?.N;
    if (!pk || !sk || ttl === undefined) return undefined;
    return this.#deleted.get(this.#entry(pk.S ?? pk.N, sk.S ?? sk.N, ttl));
  }

  /** Whether a Lambda-shaped REMOVE record is one of this process's expiries. */
  expired(record: DynamoDBRecord): boolean {
    return this.deletedAt(record) !== undefined;
  }

  /** The ledger file, for a process that reads this one's deletions (`replay`). */
  get ledgerFile(): string {
    return this.#options.ledgerFile;
  }
}
