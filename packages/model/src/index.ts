export * from './entities.js';
export * from './keys.js';
export * from './table.js';
