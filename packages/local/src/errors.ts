/** Base class of every error raised by the local runtime. */
export class LocalRuntimeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalRuntimeError';
    this.code = code;
  }
}

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
