export * from './dynamodb-local.js';
export * from './errors.js';
export * from './tables.js';
