export * from './command.js';
export * from './progress.js';
