import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type StoreErrorCode =
  | 'order.invalidTransition'
  | 'store.alreadyExists'
  | 'store.corruptItem'
  | 'store.invalidCursor'
  | 'store.itemTooLarge'
  | 'store.notFound'
  | 'store.staleRevision'
  | 'store.transactionConflict'
  | 'store.unprocessedItems'
  | 'store.validation'
  | 'user.emailTaken'
  | 'user.insufficientPoints';

/** Base class of every error the store raises; `code` is stable so callers can branch on it. */
export class StoreError extends PipelineError<StoreErrorCode> {}

/** One problem found while validating an input. */
export interface ValidationIssue {
  /** Dotted path of the offending field, empty for the input as a whole. */
  readonly path: string;
  readonly message: string;
}

/** An input failed validation; nothing was written. */
export class ValidationError extends StoreError {
  override readonly name = 'ValidationError';
  /** Dotted path of the first offending field. */
  readonly field: string;
  constructor(
    readonly issues: readonly ValidationIssue[],
    options?: ErrorOptions,
  ) {
    const first = issues[0] ?? { path: '', message: 'invalid input' };
    super(
      'store.validation',
      `invalid ${first.path || 'input'}: ${first.message}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`,
      options,
    );
    this.field = first.path;
  }
}

/** A pagination cursor was not one the store issued for this list. */
export class InvalidCursorError extends StoreError {
  override readonly name = 'InvalidCursorError';
  constructor(reason: string, options?: ErrorOptions) {
    super('store.invalidCursor', `invalid cursor: ${reason}`, options);
  }
}

/** An item would exceed DynamoDB's 400 KB limit; it was rejected before sending. */
export class ItemTooLargeError extends StoreError {
  override readonly name = 'ItemTooLargeError';
  constructor(
    readonly key: Readonly<Record<string, unknown>>,
    readonly sizeBytes: number,
    readonly limitBytes: number,
    options?: ErrorOptions,
  ) {
    super(
      'store.itemTooLarge',
      `item ${JSON.stringify(key)} is ${sizeBytes} bytes, over the ${limitBytes} byte limit`,
      options,
    );
  }
}

/** A create found the item already there. */
export class AlreadyExistsError extends StoreError {
  override readonly name = 'AlreadyExistsError';
  constructor(
    readonly entityType: string,
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super('store.alreadyExists', `${entityType} ${id} already exists`, options);
  }
}

/** An update or delete found no such item. */
export class NotFoundError extends StoreError {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entityType: string,
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super('store.notFound', `${entityType} ${id} not found`, options);
  }
}

/** The item changed since the caller read it: its revision is no longer the one expected. */
export class StaleRevisionError extends StoreError {
  override readonly name = 'StaleRevisionError';
  constructor(
    readonly entityType: string,
    readonly id: string,
    readonly expectedRev: number,
    /** The revision found, when the store could read it. */
    readonly actualRev: number | undefined,
    options?: ErrorOptions,
  ) {
    super(
      'store.staleRevision',
      `${entityType} ${id} is at revision ${actualRev ?? 'unknown'}, not ${expectedRev}`,
      options,
    );
  }
}

/** An order status change that the allowed transitions forbid. */
export class InvalidTransitionError extends StoreError {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly orderId: string,
    readonly from: string,
    readonly to: string,
    options?: ErrorOptions,
  ) {
    super('order.invalidTransition', `order ${orderId} cannot move from ${from} to ${to}`, options);
  }
}

/** A loyalty points transfer asked for more points than the sender has. */
export class InsufficientPointsError extends StoreError {
  override readonly name = 'InsufficientPointsError';
  constructor(
    readonly userId: string,
    readonly requested: number,
    options?: ErrorOptions,
  ) {
    super(
      'user.insufficientPoints',
      `user ${userId} has fewer than ${requested} loyalty points`,
      options,
    );
  }
}

/** Another user already holds the email address. */
export class EmailTakenError extends StoreError {
  override readonly name = 'EmailTakenError';
  constructor(options?: ErrorOptions) {
    // The address is personal data, so it stays out of the message.
    super('user.emailTaken', 'the email address is already in use', options);
  }
}

/** Items or keys a batch request still left unprocessed after every retry. */
export class UnprocessedItemsError extends StoreError {
  override readonly name = 'UnprocessedItemsError';
  constructor(
    readonly operation: 'BatchWriteItem' | 'BatchGetItem',
    readonly unprocessedCount: number,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(
      'store.unprocessedItems',
      `${operation} left ${unprocessedCount} unprocessed after ${attempts} attempts`,
      options,
    );
  }
}

/** A transaction kept colliding with concurrent transactions on the same items. */
export class TransactionConflictError extends StoreError {
  override readonly name = 'TransactionConflictError';
  constructor(
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(
      'store.transactionConflict',
      `transaction conflicted with concurrent writes ${attempts} times`,
      options,
    );
  }
}

/** An item read from the table does not match its entity schema. */
export class CorruptItemError extends StoreError {
  override readonly name = 'CorruptItemError';
  constructor(
    readonly key: Readonly<Record<string, unknown>>,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('store.corruptItem', `item ${JSON.stringify(key)} is malformed: ${reason}`, options);
  }
}
