export * from './bundling.js';
export * from './definition.js';
export * from './env.js';
export * from './errors.js';
export * from './runtime-config.js';
export * from './ttl.js';
export * from './types.js';
export * from './validate.js';
