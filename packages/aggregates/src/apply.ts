import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  backoffDelayMs,
  retry,
  retryPolicy,
  type RetryPolicy as SharedRetryPolicy,
} from '@pipeline/pipeline';
import { EMPTY } from './cells.js';
import { UnprocessedItemsError } from './errors.js';
import { generationPointerKey, stateKey } from './keys.js';
import { type BatchPlan, type PlanSkips, planBatch, type SourceChange } from './plan.js';
import { buildTransactions } from './transactions.js';
import type { AggregateDeclaration, Contribution, ItemState } from './types.js';

/** The client calls the consumer makes; a `DynamoDBClient` fits, a recording wrapper too. */
export type DynamoDbSender = Pick<DynamoDBClient, 'send'>;

const fromMap = (value: AttributeValue | undefined): Contribution => {
  const entries = Object.entries(value?.M ?? {});
  return entries.length === 0 ? EMPTY : new Map(entries.map(([id, n]) => [id, BigInt(n.N ?? '0')]));
};

/** Reads a state item's attributes back into an {@link ItemState}. */
export const parseStateItem = (item: Record<string, AttributeValue>): ItemState => ({
  sequenceNumber: item.seq?.S ?? '',
  live: fromMap(item.live),
  retired: fromMap(item.retired),
  exists: item.exists?.BOOL ?? false,
});

/**
 * Reads the live generation from its pointer; 0 before the first rebuild.
 *
 * @example
 * const generation = await readGeneration(client, 'aggregates', true);
 */
export const readGeneration = async (
  client: DynamoDbSender,
  tableName: string,
  consistentRead: boolean,
): Promise<number> => {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { PK: { S: generationPointerKey.PK }, SK: { S: generationPointerKey.SK } },
      ConsistentRead: consistentRead,
    }),
  );
  return Item?.generation?.N === undefined ? 0 : Number(Item.generation.N);
};

/**
 * How the aggregates retry: the shared policy of `@pipeline/pipeline` with this package's
 * defaults, {@link AGGREGATES_RETRY_DEFAULTS}.
 */
export type RetryPolicy = SharedRetryPolicy;

/** The aggregates' retry defaults: 6 attempts, delays from [0, 50 ms) doubling up to 1 s. */
export const AGGREGATES_RETRY_DEFAULTS = {
  maxAttempts: 6,
  baseDelayMs: 50,
  maxDelayMs: 1000,
} as const satisfies RetryPolicy;

/** Reads the state items of some sources, strongly consistent, 100 keys per request. */
export const readStates = async (
  client: DynamoDbSender,
  tableName: string,
  generation: number,
  sources: ReadonlyMap<string, { PK: string; SK: string }>,
  policy: RetryPolicy = {},
): Promise<Map<string, ItemState>> => {
  const byStateKey = new Map<string, string>();
  const keys: Record<string, AttributeValue>[] = [];
  for (const [itemKey, source] of sources) {
    const key = stateKey(generation, source);
    byStateKey.set(`${key.PK}\u0000${key.SK}`, itemKey);
    keys.push({ PK: { S: key.PK }, SK: { S: key.SK } });
  }
  const states = new Map<string, ItemState>();
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Record<string, AttributeValue>[] = keys.slice(start, start + 100);
    await retry(
      async () => {
        const result = await client.send(
          new BatchGetItemCommand({
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        for (const item of result.Responses?.[tableName] ?? []) {
          const itemKey = byStateKey.get(`${item.PK?.S}\u0000${item.SK?.S}`);
          if (itemKey !== undefined) states.set(itemKey, parseStateItem(item));
        }
        pending = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (pending.length > 0) throw new UnprocessedItemsError('BatchGetItem', pending.length);
      },
      {
        ...AGGREGATES_RETRY_DEFAULTS,
        ...policy,
        retryable: (error) => error instanceof UnprocessedItemsError,
      },
    );
  }
  return states;
};

const RETRYABLE_REASONS = new Set([
  'ConditionalCheckFailed',
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/**
 * Whether a failed send may succeed on another try. Conditional failures mean a concurrent
 * lane moved a state item (or a rebuild moved the generation): re-read and re-plan.
 * Errors without a known shape may come from a transaction that did commit (a lost
 * response); the re-read then finds its states applied and plans nothing.
 */
export const isRetryable = (error: unknown): boolean => {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).every(
      (reason) =>
        reason.Code === undefined || reason.Code === 'None' || RETRYABLE_REASONS.has(reason.Code),
    );
  }
  const name = (error as { name?: unknown } | null)?.name;
  const fault = (error as { $fault?: unknown } | null)?.$fault;
  if (fault === 'client') {
    return (
      name === 'ThrottlingException' ||
      name === 'ProvisionedThroughputExceededException' ||
      name === 'RequestLimitExceeded' ||
      name === 'TransactionConflictException' ||
      name === 'TransactionInProgressException'
    );
  }
  return true;
};

/** What {@link applyChanges} did. */
export interface ApplyResult {
  /** Records not applied, with the error; their items' records are all listed. */
  readonly failures: readonly { sequenceNumber: string; error: unknown }[];
  readonly skips: PlanSkips;
  readonly itemsApplied: number;
  readonly transactions: number;
  readonly counterWrites: number;
  readonly attempts: number;
}

/** Inputs of {@link applyChanges}. */
export interface ApplyOptions extends RetryPolicy {
  readonly client: DynamoDbSender;
  readonly tableName: string;
  readonly declarations: readonly AggregateDeclaration[];
  /** Epoch seconds. @default now */
  readonly now?: number;
  /** @default 48 h */
  readonly replayHorizonSeconds: number;
}

/**
 * Applies a batch of changes to the aggregates exactly once in effect: reads the items'
 * state, plans, writes state and coalesced counter deltas in transactions, and on a
 * conditional failure, conflict or throttling re-reads and re-plans the items involved,
 * with capped backoff and jitter. Items still failing after the last attempt are returned
 * as failures, every record of theirs listed.
 *
 * @example
 * const { failures } = await applyChanges(changes, { client, tableName, declarations: aggregates, replayHorizonSeconds });
 */
export const applyChanges = async (
  changes: readonly SourceChange[],
  options: ApplyOptions,
): Promise<ApplyResult> => {
  const policy = retryPolicy({ ...AGGREGATES_RETRY_DEFAULTS, ...options });
  const sources = new Set<string>(options.declarations.map((declaration) => declaration.source));
  const relevant = changes.filter((change) => sources.has(change.entityType));
  const seed = changes[0]?.sequenceNumber ?? '';
  const failures: { sequenceNumber: string; error: unknown }[] = [];
  const skips: PlanSkips = { duplicates: 0, stale: 0, coalesced: 0 };
  let itemsApplied = 0;
  let transactions = 0;
  let counterWrites = 0;
  let attempts = 0;
  let pending = relevant;
  let lastError = new Map<string, unknown>();
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= policy.maxAttempts) {
      for (const change of pending) {
        failures.push({
          sequenceNumber: change.sequenceNumber,
          error: lastError.get(change.itemKey),
        });
      }
      break;
    }
    if (attempt > 0) await policy.sleep(backoffDelayMs(attempt, policy));
    attempts++;
    const retry = new Set<string>();
    lastError = new Map();
    let plan: BatchPlan;
    let generation: number;
    try {
      generation = await readGeneration(options.client, options.tableName, true);
      const bySource = new Map(pending.map((change) => [change.itemKey, change.keys]));
      const states = await readStates(
        options.client,
        options.tableName,
        generation,
        bySource,
        options,
      );
      plan = planBatch(pending, {
        declarations: options.declarations,
        states,
        now: options.now ?? Math.floor(Date.now() / 1000),
        replayHorizonSeconds: options.replayHorizonSeconds,
      });
    } catch (error) {
      if (!isRetryable(error)) {
        for (const change of pending)
          failures.push({ sequenceNumber: change.sequenceNumber, error });
        break;
      }
      for (const change of pending) lastError.set(change.itemKey, error);
      continue;
    }
    // Later rounds re-plan records already counted, so only the first round counts skips.
    if (attempt === 0) {
      skips.duplicates += plan.skips.duplicates;
      skips.stale += plan.skips.stale;
      skips.coalesced += plan.skips.coalesced;
    }
    for (const item of plan.invalid) {
      for (const sequenceNumber of item.sequenceNumbers)
        failures.push({ sequenceNumber, error: item.error });
    }
    const planned = buildTransactions(plan.items, {
      tableName: options.tableName,
      generation,
      declarations: options.declarations,
      seed,
    });
    for (const transaction of planned) {
      try {
        await options.client.send(
          new TransactWriteItemsCommand({ TransactItems: transaction.transactItems }),
        );
        transactions++;
        counterWrites += transaction.counterWrites.length;
        itemsApplied += transaction.items.length;
      } catch (error) {
        const target = isRetryable(error) ? retry : undefined;
        for (const item of transaction.items) {
          if (target) {
            target.add(item.itemKey);
            lastError.set(item.itemKey, error);
          } else {
            for (const sequenceNumber of item.sequenceNumbers)
              failures.push({ sequenceNumber, error });
          }
        }
      }
    }
    pending = pending.filter((change) => retry.has(change.itemKey));
  }
  return { failures, skips, itemsApplied, transactions, counterWrites, attempts };
};
