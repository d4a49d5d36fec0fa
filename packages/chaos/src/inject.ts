import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDbSender } from '@pipeline/aggregates';
import type { StreamHandler } from '@pipeline/local';
import type { BulkClient } from '@pipeline/search';
import { InjectedFaultError } from './errors.js';
import { type FaultKind, type FaultPlan, FaultKind as Kind } from './faults.js';

const handlerFaults: readonly FaultKind[] = [
  Kind.handlerThrowBefore,
  Kind.handlerThrowAfter,
  Kind.duplicateDelivery,
  Kind.crashBeforeCheckpoint,
];

/** What {@link wrapHandler} needs from the run beside the plan. */
export interface HandlerFaultHooks {
  /**
   * Makes the runner crash now, as if the process died: it must take effect before the
   * handler's response reaches the runner. Returns false when a crash or restart is
   * already under way, and the fault is then not injected.
   */
  readonly crash: () => boolean;
}

/**
 * Wraps a consumer's handler so that, per the plan, it throws before or after its side
 * effect, runs the batch twice, or crashes the runner after its sink write.
 *
 * @example
 * const handler = wrapHandler('sync-search', realHandler, plan, { crash: () => harness.crash() });
 */
export const wrapHandler =
  (
    consumer: string,
    handler: StreamHandler,
    plan: FaultPlan,
    hooks: HandlerFaultHooks,
  ): StreamHandler =>
  async (event) => {
    const identities = event.Records.map((record) => plan.recordIdentity(record));
    const fault = plan.draw(handlerFaults, 'handler', consumer, identities[0] ?? 'empty');
    switch (fault) {
      case Kind.handlerThrowBefore:
        plan.record(fault);
        throw new InjectedFaultError(fault, `${consumer} failed before its sink write`);
      case Kind.handlerThrowAfter: {
        await handler(event);
        plan.record(fault);
        throw new InjectedFaultError(fault, `${consumer} failed after its sink write`);
      }
      case Kind.duplicateDelivery: {
        await handler(event);
        plan.record(fault);
        return handler(event);
      }
      case Kind.crashBeforeCheckpoint: {
        const response = await handler(event);
        if (hooks.crash()) plan.record(fault);
        return response;
      }
      default:
        return handler(event);
    }
  };

const searchFaults: readonly FaultKind[] = [
  Kind.search429,
  Kind.search500,
  Kind.search413,
  Kind.searchTimeout,
];

/** The error shape the OpenSearch client throws for an HTTP error answer. */
const responseError = (statusCode: number, type: string): Error =>
  Object.assign(new Error(`injected ${statusCode}: ${type}`), {
    name: 'ResponseError',
    meta: { statusCode, body: { error: { type, reason: 'injected by the chaos run' } } },
  });

const documentIds = (params: unknown): string => {
  const body = (params as { body?: unknown })?.body;
  const text = typeof body === 'string' ? body : '';
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^\{"index":\{"_index":"([^"]*)","_id":"([^"]*)"/.exec(line);
    if (match) ids.push(`${match[1]}/${match[2]}`);
  }
  return ids.sort().join(',');
};

/**
 * Wraps the OpenSearch client's `bulk` so that, per the plan, a request is answered 429,
 * 500 or 413, or times out; a timeout lets the request through half the time, so the
 * client does not know whether it landed.
 *
 * @example
 * const search = faultySearchClient(createSearchClient({ node }), plan);
 */
export const faultySearchClient = (
  client: BulkClient,
  plan: FaultPlan,
  timeoutMs = 50,
): BulkClient => ({
  bulk: (async (params: unknown, options: unknown) => {
    const ids = documentIds(params);
    const fault = plan.draw(searchFaults, 'bulk', ids);
    const real = () =>
      (client.bulk as (p: unknown, o: unknown) => Promise<unknown>)(params, options);
    switch (fault) {
      case Kind.search429:
        plan.record(fault);
        throw responseError(429, 'too_many_requests');
      case Kind.search500:
        plan.record(fault);
        throw responseError(500, 'internal_server_error');
      case Kind.search413:
        plan.record(fault);
        throw responseError(413, 'request_entity_too_large');
      case Kind.searchTimeout: {
        plan.record(fault);
        if (plan.chance(0.5, 'bulk-timeout-landed', ids)) await real();
        await new Promise((resolve) => setTimeout(resolve, timeoutMs));
        throw Object.assign(new Error('Request timed out (injected)'), { name: 'TimeoutError' });
      }
      default:
        return real();
    }
  }) as BulkClient['bulk'],
});

const dynamodbFaults: readonly FaultKind[] = [Kind.dynamodbThrottle, Kind.dynamodbConflict];

const transactionItems = (command: TransactWriteItemsCommand): string =>
  (command.input.TransactItems ?? [])
    .map((item) => {
      const key =
        item.Put?.Item ?? item.Update?.Key ?? item.ConditionCheck?.Key ?? item.Delete?.Key;
      return `${key?.PK?.S ?? ''}/${key?.SK?.S ?? ''}`;
    })
    // Counter shards are picked from the batch's sequence numbers, which differ per run.
    .filter((key) => key.includes('STATE#'))
    .sort()
    .join(',');

const readKeys = (command: unknown): string => {
  const input = (command as { input?: Record<string, unknown> }).input ?? {};
  const keys: string[] = [];
  const collect = (key: unknown) => {
    const { PK, SK } = (key ?? {}) as { PK?: { S?: string }; SK?: { S?: string } };
    keys.push(`${PK?.S ?? ''}/${SK?.S ?? ''}`);
  };
  if (input.Key) collect(input.Key);
  for (const table of Object.values(
    (input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>,
  ))
    for (const key of table.Keys ?? []) collect(key);
  return `${(command as object).constructor.name}:${keys.sort().join(',')}`;
};

/**
 * Wraps a DynamoDB client's `send` so that, per the plan, a request is throttled
 * (ProvisionedThroughputExceededException) or a TransactWriteItems is cancelled with a
 * TransactionConflict, before it reaches DynamoDB.
 *
 * @example
 * const client = faultyDynamoDb(new DynamoDBClient(config), plan);
 */
export const faultyDynamoDb = <C extends DynamoDbSender>(client: C, plan: FaultPlan): C => {
  const send = client.send.bind(client) as (
    command: unknown,
    ...rest: unknown[]
  ) => Promise<unknown>;
  const wrapped = {
    send: async (command: unknown, ...rest: unknown[]) => {
      const fault =
        command instanceof TransactWriteItemsCommand
          ? plan.draw(dynamodbFaults, 'transact', transactionItems(command))
          : // Reads (state items, the generation pointer) are throttled too, never conflicted.
            plan.draw([Kind.dynamodbThrottle], 'read', readKeys(command));
      if (fault === Kind.dynamodbThrottle) {
        plan.record(fault);
        throw new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput was exceeded (injected)',
          $metadata: {},
        });
      }
      if (fault === Kind.dynamodbConflict && command instanceof TransactWriteItemsCommand) {
        plan.record(fault);
        throw new TransactionCanceledException({
          message: 'Transaction cancelled (injected)',
          $metadata: {},
          CancellationReasons: (command.input.TransactItems ?? []).map((_, index) => ({
            Code: index === 0 ? 'TransactionConflict' : 'None',
          })),
        });
      }
      return send(command, ...rest);
    },
  };
  return wrapped as unknown as C;
};
