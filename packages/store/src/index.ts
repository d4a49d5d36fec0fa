export { batchGetItems } from './batch-get.js';
export {
  AlreadyExistsError,
  CorruptItemError,
  EmailTakenError,
  InsufficientPointsError,
  InvalidCursorError,
  InvalidTransitionError,
  ItemTooLargeError,
  NotFoundError,
  StaleRevisionError,
  StoreError,
  type StoreErrorCode,
  TransactionConflictError,
  UnprocessedItemsError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export { createStore, type Store } from './store.js';
export {
  checkOrderLines,
  createOrderInputSchema,
  createUserInputSchema,
  parseInput,
  recordProductViewInputSchema,
  updateOrderStatusInputSchema,
} from './validation.js';
