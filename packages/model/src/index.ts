export * from './entity-types.js';
export * from './keys.js';
export * from './schemas.js';
export * from './table.js';
