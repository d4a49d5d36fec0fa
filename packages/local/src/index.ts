export { type ArchiveServer, startArchiveServer } from './archive-server.js';
export { type DynamoDbLocal, localAwsClientConfig, startDynamoDbLocal } from './dynamodb-local.js';
export {
  DataDirectoryLockedError,
  DynamoDbLocalStartError,
  JavaMissingError,
  LocalRuntimeError,
  type LocalRuntimeErrorCode,
  TtlLedgerCorruptError,
} from './errors.js';
export { FailureBucket } from './failure-bucket.js';
export { FileQueue, type OnFailureMessage } from './failure-queue.js';
export type {
  FreshnessBucket,
  FreshnessHistory,
  FreshnessSummary,
  LagSource,
} from './freshness.js';
export { readFailedBatch, replayFailedBatch } from './replay.js';
export {
  type ConsumerStats,
  type EventCounts,
  LocalRunner,
  type LocalRunnerOptions,
  type RecordStages,
  type RunnerConsumer,
  type StreamHandler,
} from './runner.js';
export { bundleHandler, SandboxPool, type SandboxStats } from './sandbox.js';
export {
  type LocalEngines,
  type LocalStackSettings,
  startLocalEngines,
  startLocalPipeline,
  ttlLedgerFile,
} from './stack.js';
export { ensureTable } from './tables.js';
export { LocalTtlProcess } from './ttl-process.js';
