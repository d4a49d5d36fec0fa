export { type ConsumerHandler, runConsumers, type StreamHandler } from './compose.js';
export { decodeRecord, rawItemKey } from './decode.js';
export {
  DecodeError,
  DecodeFailureReason,
  InvalidHandlerResultError,
  MalformedAttributeError,
  StreamsError,
  type StreamsErrorCode,
  UnreportableFailureError,
  UnsupportedFilterError,
} from './errors.js';
export { matchesAnyFilter } from './filter.js';
export type { LogSink } from './logging.js';
export type { MetricsSink } from './metrics.js';
export { type HandlerFailure, processBatch, processRecords } from './process.js';
export { compareSequenceNumbers } from './sequence.js';
export type { ChangeEvent } from './types.js';
