import { PipelineError } from '@pipeline/errors';
import { installAdvice } from '@pipeline/opensearch-local';

/** The codes of the errors below. */
export type LocalRuntimeErrorCode =
  | 'local.dataDirectoryLocked'
  | 'local.dynamodbStart'
  | 'local.javaMissing'
  | 'local.sandboxCrashed'
  | 'local.sandboxInit'
  | 'local.sandboxTimeout'
  | 'local.ttlLedgerCorrupt';

/** Base class of every error raised by the local runtime. */
export class LocalRuntimeError extends PipelineError<LocalRuntimeErrorCode> {}

/** Java is not installed or is older than DynamoDB Local needs. */
export class JavaMissingError extends LocalRuntimeError {
  override readonly name = 'JavaMissingError';
  constructor(detail: string, options?: ErrorOptions) {
    super(
      'local.javaMissing',
      `DynamoDB Local needs Java 17 or newer (${detail}). ` +
        installAdvice(
          'openjdk-17-jre-headless',
          'openjdk@17',
          'then make sure `java -version` works',
        ),
      options,
    );
  }
}

/** DynamoDB Local exited or did not answer in time. */
export class DynamoDbLocalStartError extends LocalRuntimeError {
  override readonly name = 'DynamoDbLocalStartError';
  constructor(message: string, options?: ErrorOptions) {
    super('local.dynamodbStart', message, options);
  }
}

/** A line of the TTL ledger other than a torn last one is not a ledger entry. */
export class TtlLedgerCorruptError extends LocalRuntimeError {
  override readonly name = 'TtlLedgerCorruptError';
  constructor(
    readonly file: string,
    readonly line: number,
    content: string,
  ) {
    super(
      'local.ttlLedgerCorrupt',
      `${file}:${line} is not a TTL ledger entry (${JSON.stringify(content.slice(0, 80))}); ` +
        'only a torn last line is dropped: repair or remove the file',
    );
  }
}

/** Another `npm start` holds the data directory's lock. */
export class DataDirectoryLockedError extends LocalRuntimeError {
  override readonly name = 'DataDirectoryLockedError';
  constructor(
    readonly dataDirectory: string,
    readonly pid: number,
  ) {
    super(
      'local.dataDirectoryLocked',
      `${dataDirectory} is in use by a running stack (PID ${pid}); stop it first, ` +
        'or start this one on another --data-dir',
    );
  }
}
