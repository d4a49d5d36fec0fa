export {
  type BackfillOptions,
  type BackfillProgress,
  type BackfillResult,
  backfill,
} from './backfill.js';
export {
  type BulkClient,
  type BulkOperation,
  type BulkOutcome,
  type SendBulkOptions,
  sendBulk,
  serializeOperation,
} from './bulk.js';
export { createSearchClient } from './client.js';
export type { SearchClientOptions } from './client-options.js';
export {
  createSearchSyncConsumer,
  type SearchSyncOptions,
  type SyncResult,
  type SyncStats,
  syncSearchConsumer,
} from './consumer.js';
export {
  type OrderDocument,
  projectOrder,
  type SourceItem,
  type UserDocument,
} from './documents.js';
export {
  BackfillError,
  BulkItemError,
  InvalidSearchQueryError,
  InvalidSourceItemError,
  SearchError,
  type SearchErrorCode,
  SearchRequestError,
} from './errors.js';
export {
  type EnsureSearchIndicesOptions,
  ensureSearchIndices,
  removeSearchIndices,
  type SearchIndexNames,
  searchIndexNames,
  searchTemplatesVersion,
} from './indices.js';
export { planSync, type SyncPlan } from './plan.js';
export {
  DEFAULT_MARKER_HORIZON_MS,
  type PurgeMarkersOptions,
  purgeDeletedMarkers,
} from './purge.js';
export {
  type OrderHit,
  OrderSort,
  type SearchOptions,
  type SearchOrdersInput,
  type SearchOrdersResult,
  type SearchUsersInput,
  type SearchUsersResult,
  searchOrders,
  searchOrdersInputSchema,
  searchUsers,
  searchUsersInputSchema,
  type UserHit,
} from './query.js';
export {
  createSearchSetupHandler,
  SearchSetupError,
  type SearchSetupHandlerOptions,
  type SearchSetupResult,
} from './setup.js';
export {
  createQuerySearchClient,
  createSyncSearchClient,
  type QuerySearchClient,
  type SyncSearchClient,
} from './sync-client.js';
