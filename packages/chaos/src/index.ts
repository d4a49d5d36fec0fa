export * from './errors.js';
export * from './faults.js';
export * from './format.js';
export * from './inject.js';
export * from './invariants.js';
export * from './random.js';
export * from './run.js';
export * from './workload.js';
