import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type LocalRuntimeErrorCode =
  | 'local.dataDirectoryLocked'
  | 'local.dynamodbStart'
  | 'local.javaMissing'
  | 'local.ttlLedgerCorrupt';

/** Base class of every error raised by the local runtime. */
export class LocalRuntimeError extends PipelineError<LocalRuntimeErrorCode> {}

/** Java is not installed or is older than DynamoDB Local needs. */
export class JavaMissingError extends LocalRuntimeError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(
      'local.javaMissing',
      `DynamoDB Local needs Java 17 or newer (${detail}). Install it with ` +
        '`sudo apt-get install -y openjdk-17-jre-headless` on Debian or Ubuntu, ' +
        'or `brew install openjdk@17` on macOS, then make sure `java -version` works.',
      options,
    );
    this.name = 'JavaMissingError';
  }
}

/** DynamoDB Local exited or did not answer in time. */
export class DynamoDbLocalStartError extends LocalRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('local.dynamodbStart', message, options);
    this.name = 'DynamoDbLocalStartError';
  }
}

/** A line of the TTL ledger other than a torn last one is not a ledger entry. */
export class TtlLedgerCorruptError extends LocalRuntimeError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, content: string) {
    super(
      'local.ttlLedgerCorrupt',
      `${file}:${line} is not a TTL ledger entry (${JSON.stringify(content.slice(0, 80))}); ` +
        'only a torn last line is dropped: repair or remove the file',
    );
    this.name = 'TtlLedgerCorruptError';
    this.file = file;
    this.line = line;
  }
}

/** Another `npm start` holds the data directory's lock. */
export class DataDirectoryLockedError extends LocalRuntimeError {
  readonly dataDirectory: string;
  readonly pid: number;
  constructor(dataDirectory: string, pid: number) {
    super(
      'local.dataDirectoryLocked',
      `${dataDirectory} is in use by a running stack (PID ${pid}); stop it first, ` +
        'or start this one on another --data-dir',
    );
    this.name = 'DataDirectoryLockedError';
    this.dataDirectory = dataDirectory;
    this.pid = pid;
  }
}
