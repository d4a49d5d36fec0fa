export {
  createAggregatesTable,
  createMainTable,
  createTestTable,
  localDynamoDbClient,
  localStreamsClient,
  type TestTable,
} from './dynamodb.js';
export { nonLoopbackAddresses, tryConnect } from './network.js';
export {
  processAlive,
  processGroupOf,
  processTree,
  startReportingScript,
} from './processes.js';
export {
  insertRecord,
  modifyRecord,
  nextSequenceNumber,
  orderItem,
  type PlainItem,
  type RecordOptions,
  removeRecord,
  streamEvent,
  TEST_STREAM_ARN,
  TTL_SERVICE_IDENTITY,
  toStreamImage,
  ttlRemoveRecord,
  userItem,
} from './stream-events.js';
