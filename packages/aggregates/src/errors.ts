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
  override readonly name = 'InvalidSourceImageError';
  constructor(
    readonly aggregate: string,
    readonly field: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('aggregates.invalidSourceImage', `${aggregate}: ${field} ${reason}`, options);
  }
}

/** A counter sum no longer fits a JavaScript number exactly; it is refused rather than rounded. */
export class UnsafeIntegerError extends AggregatesError {
  override readonly name = 'UnsafeIntegerError';
  constructor(
    readonly counter: string,
    value: bigint,
    options?: ErrorOptions,
  ) {
    super(
      'aggregates.unsafeInteger',
      `${counter} = ${value} exceeds Number.MAX_SAFE_INTEGER`,
      options,
    );
  }
}

/** A read was asked for an invalid range or argument. */
export class InvalidQueryError extends AggregatesError {
  override readonly name = 'InvalidQueryError';
  constructor(
    readonly argument: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('aggregates.invalidQuery', `${argument} ${reason}`, options);
  }
}

/** The generation pointer moved while a rebuild was switching it: another rebuild won. */
export class GenerationSwitchError extends AggregatesError {
  override readonly name = 'GenerationSwitchError';
  constructor(
    readonly expected: number,
    options?: ErrorOptions,
  ) {
    super(
      'aggregates.generationMoved',
      `the generation pointer is no longer ${expected}; another rebuild switched it`,
      options,
    );
  }
}

/** A batch request still left items or keys unprocessed; retried until the attempts run out. */
export class UnprocessedItemsError extends AggregatesError {
  override readonly name = 'UnprocessedItemsError';
  constructor(
    readonly operation: 'BatchGetItem' | 'BatchWriteItem',
    readonly unprocessed: number,
  ) {
    super('aggregates.unprocessed', `${operation} left ${unprocessed} unprocessed`);
  }
}
