export { archiveExpiredConsumer, createArchiveConsumer } from './consumer.js';
export {
  ArchiveConflictError,
  ArchiveError,
  type ArchiveErrorCode,
  ArchiveFormatError,
  ArchiveQueryError,
  ArchiveRecordError,
  ArchiveWriteError,
  S3RequestError,
} from './errors.js';
export type { RawImage } from './json.js';
export { planObjects } from './layout.js';
export {
  type ArchiveObjectStore,
  type Credentials,
  createS3ObjectStore,
  type S3ObjectStoreOptions,
} from './object-store.js';
export { type ArchiveQuery, readArchive } from './reader.js';
export { toArchiveRecord } from './record.js';
export { DEFAULT_RESTORE_TTL_SECONDS, restoreRecords } from './restore.js';
export type { ArchiveRecord } from './types.js';
export { writeArchiveObject } from './writer.js';
