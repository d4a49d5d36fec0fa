export * from './command.js';
export { bundleMappings } from './consumers.js';
export * from './progress.js';
