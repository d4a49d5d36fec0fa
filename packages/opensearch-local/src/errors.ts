import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type OpenSearchLocalErrorCode =
  | 'opensearchLocal.jdkMissing'
  | 'opensearchLocal.mavenMissing'
  | 'opensearchLocal.resolve'
  | 'opensearchLocal.start';

/** Base class of every error raised while bringing up the local OpenSearch node. */
export class OpenSearchLocalError extends PipelineError<OpenSearchLocalErrorCode> {}

/**
 * How to install a missing tool on Debian or Ubuntu and on macOS, and what to do then.
 *
 * @example
 * installAdvice('maven', 'maven', 'then make sure `mvn -version` works')
 */
export const installAdvice = (aptPackage: string, brewFormula: string, then: string): string =>
  `Install it with \`sudo apt-get install -y ${aptPackage}\` on Debian or Ubuntu, or ` +
  `\`brew install ${brewFormula}\` on macOS, ${then}.`;

/** A JDK 17 or newer (java and javac) is not installed. */
export class JdkMissingError extends OpenSearchLocalError {
  override readonly name = 'JdkMissingError';
  constructor(detail: string, options?: ErrorOptions) {
    super(
      'opensearchLocal.jdkMissing',
      `The local OpenSearch node needs a JDK 17 or newer, with javac (${detail}). ` +
        installAdvice(
          'openjdk-17-jdk-headless',
          'openjdk@17',
          'or point JAVA_HOME at a JDK 17 to 23',
        ),
      options,
    );
  }
}

/** Maven is not installed, so OpenSearch cannot be resolved from Maven Central. */
export class MavenMissingError extends OpenSearchLocalError {
  override readonly name = 'MavenMissingError';
  constructor(detail: string, options?: ErrorOptions) {
    super(
      'opensearchLocal.mavenMissing',
      `The local OpenSearch node is resolved from Maven Central by Maven (${detail}). ` +
        installAdvice('maven', 'maven', 'then make sure `mvn -version` works'),
      options,
    );
  }
}

/** Maven or javac failed while preparing the node. */
export class EngineResolveError extends OpenSearchLocalError {
  override readonly name = 'EngineResolveError';
  constructor(message: string, options?: ErrorOptions) {
    super('opensearchLocal.resolve', message, options);
  }
}

/** The node exited, or was not ready in time. */
export class NodeStartError extends OpenSearchLocalError {
  override readonly name = 'NodeStartError';
  constructor(message: string, options?: ErrorOptions) {
    super('opensearchLocal.start', message, options);
  }
}
