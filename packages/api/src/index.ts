export * from './api-gateway.js';
export * from './body.js';
export * from './errors.js';
export * from './pipeline-status.js';
export * from './query.js';
export * from './responses.js';
export * from './routes.js';
export * from './server.js';
