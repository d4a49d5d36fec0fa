export { type DynamoDbSender, isRetryable } from './apply.js';
export { parseCellId, subtract } from './cells.js';
export { createAggregatesConsumer, updateAggregatesConsumer } from './consumer.js';
export { aggregates } from './declarations.js';
export {
  AggregatesError,
  type AggregatesErrorCode,
  GenerationSwitchError,
  InvalidQueryError,
  InvalidSourceImageError,
  UnprocessedItemsError,
  UnsafeIntegerError,
} from './errors.js';
export { type MaintenanceOptions, rebuild, verify } from './maintenance.js';
export { contributionOf } from './plan.js';
export { type AggregatesReader, createAggregatesReader } from './read.js';
