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
  readonly kind: string;
  constructor(kind: string, message: string, options?: { cause?: unknown }) {
    super('chaos.injected', `injected ${kind}: ${message}`, options);
    this.name = 'InjectedFaultError';
    this.kind = kind;
  }
}

/** The store accepted an operation the run expected it to refuse (or the reverse). */
export class UnexpectedOutcomeError extends ChaosError {
  readonly operation: string;
  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super('chaos.unexpectedOutcome', `${operation}: ${message}`, options);
    this.name = 'UnexpectedOutcomeError';
    this.operation = operation;
  }
}

/** The OpenSearch node the run killed did not start again; the run cannot go on. */
export class SearchNodeRestartError extends ChaosError {
  constructor(options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      'chaos.searchNodeRestart',
      `the OpenSearch node did not come back after its SIGKILL${reason}`,
      options,
    );
    this.name = 'SearchNodeRestartError';
  }
}

/** The stack a crash-recovery run starts did not come up; `output` is the end of what it printed. */
export class StackStartError extends ChaosError {
  readonly output: string;
  constructor(message: string, output: string, options?: { cause?: unknown }) {
    super('chaos.stackStart', `${message}${output ? `:\n${output}` : ''}`, options);
    this.name = 'StackStartError';
    this.output = output;
  }
}
