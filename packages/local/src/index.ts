export * from './batch-outcome.js';
export * from './checkpoints.js';
export * from './dynamodb-local.js';
export * from './errors.js';
export * from './failure-queue.js';
export * from './lambda-event.js';
export * from './runner.js';
export * from './tables.js';
