import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type ChaosErrorCode =
  | 'chaos.injected'
  | 'chaos.searchNodeRestart'
  | 'chaos.stackStart'
  | 'chaos.unexpectedOutcome';

/** Base class of every error raised by the chaos run. */
export class ChaosError extends PipelineError<ChaosErrorCode> {}

/** A fault the run injected on purpose; consumers and the runner must survive it. */
export class InjectedFaultError extends ChaosError {
  override readonly name = 'InjectedFaultError';
  constructor(
    readonly kind: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('chaos.injected', `injected ${kind}: ${message}`, options);
  }
}

/** The store accepted an operation the run expected it to refuse (or the reverse). */
export class UnexpectedOutcomeError extends ChaosError {
  override readonly name = 'UnexpectedOutcomeError';
  constructor(
    readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('chaos.unexpectedOutcome', `${operation}: ${message}`, options);
  }
}

/** The OpenSearch node the run killed did not start again; the run cannot go on. */
export class SearchNodeRestartError extends ChaosError {
  override readonly name = 'SearchNodeRestartError';
  constructor(options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      'chaos.searchNodeRestart',
      `the OpenSearch node did not come back after its SIGKILL${reason}`,
      options,
    );
  }
}

/** The stack a crash-recovery run starts did not come up; `output` is the end of what it printed. */
export class StackStartError extends ChaosError {
  override readonly name = 'StackStartError';
  constructor(
    message: string,
    readonly output: string,
    options?: ErrorOptions,
  ) {
    super('chaos.stackStart', `${message}${output ? `:\n${output}` : ''}`, options);
  }
}
