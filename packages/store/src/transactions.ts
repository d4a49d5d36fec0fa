import {
  type AttributeValue,
  type DynamoDBClient,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { backoffDelayMs } from '@pipeline/pipeline';
import { TransactionConflictError } from './errors.js';

/** Why one action of a cancelled transaction failed, with the item as it was when DynamoDB returned it. */
export interface CancellationReason {
  readonly code: string;
  readonly item: Record<string, unknown> | undefined;
}

/**
 * The per-action reasons of a cancelled transaction, in the order of its actions, or
 * `undefined` when the error is not a cancellation.
 *
 * @example
 * cancellationReasons(error)?.[1]?.code === 'ConditionalCheckFailed'
 */
export const cancellationReasons = (error: unknown): CancellationReason[] | undefined => {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((reason) => ({
    code: reason.Code ?? 'None',
    item: reason.Item ? unmarshall(reason.Item as Record<string, AttributeValue>) : undefined,
  }));
};

/** Whether action `index` of a cancelled transaction failed its condition. */
export const conditionFailedAt = (
  reasons: readonly CancellationReason[] | undefined,
  index: number,
): boolean => reasons?.[index]?.code === 'ConditionalCheckFailed';

/**
 * Sends a transaction, retrying it when it was cancelled only because a concurrent
 * transaction touched the same items. A cancelled transaction wrote nothing, so sending
 * it again is safe; a failed condition is final and is thrown as is.
 *
 * @example
 * await sendTransaction(client, buildCreateUserParams(table, input, now));
 */
export const sendTransaction = async (
  client: DynamoDBClient,
  input: TransactWriteItemsCommandInput,
  options: { readonly maxAttempts?: number; readonly sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> => {
  const maxAttempts = options.maxAttempts ?? 5;
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand(input));
      return;
    } catch (error) {
      const reasons = cancellationReasons(error);
      const conflictOnly =
        reasons?.some((reason) => reason.code === 'TransactionConflict') === true &&
        reasons.every((reason) => reason.code === 'TransactionConflict' || reason.code === 'None');
      if (!conflictOnly) throw error;
      if (attempt >= maxAttempts) throw new TransactionConflictError(attempt, { cause: error });
      await sleep(backoffDelayMs(attempt, { baseDelayMs: 40, maxDelayMs: 2000 }));
    }
  }
};
