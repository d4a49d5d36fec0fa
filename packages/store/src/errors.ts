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
  /** Dotted path of the first offending field. */
  readonly field: string;
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    const first = issues[0] ?? { path: '', message: 'invalid input' };
    super(
      'store.validation',
      `invalid ${first.path || 'input'}: ${first.message}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`,
      options,
    );
    this.name = 'ValidationError';
    this.field = first.path;
    this.issues = issues;
  }
}

/** A pagination cursor was not one the store issued for this list. */
export class InvalidCursorError extends StoreError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('store.invalidCursor', `invalid cursor: ${reason}`, options);
    this.name = 'InvalidCursorError';
  }
}

/** An item would exceed DynamoDB's 400 KB limit; it was rejected before sending. */
export class ItemTooLargeError extends StoreError {
  readonly key: Readonly<Record<string, unknown>>;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(
    key: Readonly<Record<string, unknown>>,
    sizeBytes: number,
    limitBytes: number,
    options?: { cause?: unknown },
  ) {
    super(
      'store.itemTooLarge',
      `item ${JSON.stringify(key)} is ${sizeBytes} bytes, over the ${limitBytes} byte limit`,
      options,
    );
    this.name = 'ItemTooLargeError';
    this.key = key;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** A create found the item already there. */
export class AlreadyExistsError extends StoreError {
  readonly entityType: string;
  readonly id: string;
  constructor(entityType: string, id: string, options?: { cause?: unknown }) {
    super('store.alreadyExists', `${entityType} ${id} already exists`, options);
    this.name = 'AlreadyExistsError';
    this.entityType = entityType;
    this.id = id;
  }
}

/** An update or delete found no such item. */
export class NotFoundError extends StoreError {
  readonly entityType: string;
  readonly id: string;
  constructor(entityType: string, id: string, options?: { cause?: unknown }) {
    super('store.notFound', `${entityType} ${id} not found`, options);
    this.name = 'NotFoundError';
    this.entityType = entityType;
    this.id = id;
  }
}

/** The item changed since the caller read it: its revision is no longer the one expected. */
export class StaleRevisionError extends StoreError {
  readonly entityType: string;
  readonly id: string;
  readonly expectedRev: number;
  /** The revision found, when the store could read it. */
  readonly actualRev: number | undefined;
  constructor(
    entityType: string,
    id: string,
    expectedRev: number,
    actualRev: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'store.staleRevision',
      `${entityType} ${id} is at revision ${actualRev ?? 'unknown'}, not ${expectedRev}`,
      options,
    );
    this.name = 'StaleRevisionError';
    this.entityType = entityType;
    this.id = id;
    this.expectedRev = expectedRev;
    this.actualRev = actualRev;
  }
}

/** An order status change that the allowed transitions forbid. */
export class InvalidTransitionError extends StoreError {
  readonly orderId: string;
  readonly from: string;
  readonly to: string;
  constructor(orderId: string, from: string, to: string, options?: { cause?: unknown }) {
    super('order.invalidTransition', `order ${orderId} cannot move from ${from} to ${to}`, options);
    this.name = 'InvalidTransitionError';
    this.orderId = orderId;
    this.from = from;
    this.to = to;
  }
}

/** A loyalty points transfer asked for more points than the sender has. */
export class InsufficientPointsError extends StoreError {
  readonly userId: string;
  readonly requested: number;
  constructor(userId: string, requested: number, options?: { cause?: unknown }) {
    super(
      'user.insufficientPoints',
      `user ${userId} has fewer than ${requested} loyalty points`,
      options,
    );
    this.name = 'InsufficientPointsError';
    this.userId = userId;
    this.requested = requested;
  }
}

/** Another user already holds the email address. */
export class EmailTakenError extends StoreError {
  constructor(options?: { cause?: unknown }) {
    // The address is personal data, so it stays out of the message.
    super('user.emailTaken', 'the email address is already in use', options);
    this.name = 'EmailTakenError';
  }
}

/** Items or keys a batch request still left unprocessed after every retry. */
export class UnprocessedItemsError extends StoreError {
  readonly operation: 'BatchWriteItem' | 'BatchGetItem';
  readonly unprocessedCount: number;
  readonly attempts: number;
  constructor(
    operation: 'BatchWriteItem' | 'BatchGetItem',
    unprocessedCount: number,
    attempts: number,
    options?: { cause?: unknown },
  ) {
    super(
      'store.unprocessedItems',
      `${operation} left ${unprocessedCount} unprocessed after ${attempts} attempts`,
      options,
    );
    this.name = 'UnprocessedItemsError';
    this.operation = operation;
    this.unprocessedCount = unprocessedCount;
    this.attempts = attempts;
  }
}

/** A transaction kept colliding with concurrent transactions on the same items. */
export class TransactionConflictError extends StoreError {
  readonly attempts: number;
  constructor(attempts: number, options?: { cause?: unknown }) {
    super(
      'store.transactionConflict',
      `transaction conflicted with concurrent writes ${attempts} times`,
      options,
    );
    this.name = 'TransactionConflictError';
    this.attempts = attempts;
  }
}

/** An item read from the table does not match its entity schema. */
export class CorruptItemError extends StoreError {
  readonly key: Readonly<Record<string, unknown>>;
  constructor(
    key: Readonly<Record<string, unknown>>,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('store.corruptItem', `item ${JSON.stringify(key)} is malformed: ${reason}`, options);
    this.name = 'CorruptItemError';
    this.key = key;
  }
}
