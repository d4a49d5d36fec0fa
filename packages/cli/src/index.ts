export { bundleMappings } from './consumers.js';
