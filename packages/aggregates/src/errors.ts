import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type AggregatesErrorCode =
  | 'aggregates.generationMoved'
  | 'aggregates.invalidQuery'
  | 'aggregates.invalidSourceImage'
  | 'aggregates.unprocessed'
  | 'aggregates.unsafeInteger';

/** Base class of every error the aggregates package throws. */
export class AggregatesError extends PipelineError<AggregatesErrorCode> {}

/** A source image lacks a field an aggregate needs, or holds a value of the wrong shape. */
export class InvalidSourceImageError extends AggregatesError {
  readonly aggregate: string;
  readonly field: string;
  constructor(aggregate: string, field: string, reason: string, options?: { cause?: unknown }) {
    super('aggregates.invalidSourceImage', `${aggregate}: ${field} ${reason}`, options);
    this.name = 'InvalidSourceImageError';
    this.aggregate = aggregate;
    this.field = field;
  }
}

/** A counter sum no longer fits a JavaScript number exactly; it is refused rather than rounded. */
export class UnsafeIntegerError extends AggregatesError {
  readonly counter: string;
  constructor(counter: string, value: bigint, options?: { cause?: unknown }) {
    super(
      'aggregates.unsafeInteger',
      `${counter} = ${value} exceeds Number.MAX_SAFE_INTEGER`,
      options,
    );
    this.name = 'UnsafeIntegerError';
    this.counter = counter;
  }
}

/** A read was asked for an invalid range or argument. */
export class InvalidQueryError extends AggregatesError {
  readonly argument: string;
  constructor(argument: string, reason: string, options?: { cause?: unknown }) {
    super('aggregates.invalidQuery', `${argument} ${reason}`, options);
    this.name = 'InvalidQueryError';
    this.argument = argument;
  }
}

/** The generation pointer moved while a rebuild was switching it: another rebuild won. */
export class GenerationSwitchError extends AggregatesError {
  readonly expected: number;
  constructor(expected: number, options?: { cause?: unknown }) {
    super(
      'aggregates.generationMoved',
      `the generation pointer is no longer ${expected}; another rebuild switched it`,
      options,
    );
    this.name = 'GenerationSwitchError';
    this.expected = expected;
  }
}

/** A batch request still left items or keys unprocessed; retried until the attempts run out. */
export class UnprocessedItemsError extends AggregatesError {
  readonly operation: 'BatchGetItem' | 'BatchWriteItem';
  readonly unprocessed: number;
  constructor(operation: 'BatchGetItem' | 'BatchWriteItem', unprocessed: number) {
    super('aggregates.unprocessed', `${operation} left ${unprocessed} unprocessed`);
    this.name = 'UnprocessedItemsError';
    this.operation = operation;
    this.unprocessed = unprocessed;
  }
}
