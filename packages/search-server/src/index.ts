export { analyze, analyzeTerms, type Token } from './analysis.js';
export { OpenSearchApiError, SearchServerError } from './errors.js';
export { type SearchServer, type StartSearchServerOptions, startSearchServer } from './server.js';
