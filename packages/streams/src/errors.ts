import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type StreamsErrorCode =
  | 'stream.decode'
  | 'stream.invalidHandlerResult'
  | 'stream.malformedAttribute'
  | 'stream.unreportableFailure'
  | 'stream.unsupportedFilter';

/** Base class of every error the streams package throws; branch on `code`. */
export class StreamsError extends PipelineError<StreamsErrorCode> {}

/** Why a stream record could not be decoded. */
export const DecodeFailureReason = {
  /** No `dynamodb` section, no creation time or no event id. */
  malformedRecord: 'malformedRecord',
  missingSequenceNumber: 'missingSequenceNumber',
  unknownEventName: 'unknownEventName',
  /** `Keys` lacks a string `PK` or `SK`. */
  missingKeys: 'missingKeys',
  /** The key matches no entity of the model. */
  unknownEntity: 'unknownEntity',
  /** The image the event name and stream view type promise is absent. */
  missingImage: 'missingImage',
  /** An attribute value is not valid DynamoDB JSON. */
  malformedImage: 'malformedImage',
} as const;

/** One of the values of {@link DecodeFailureReason}. */
export type DecodeFailureReason = (typeof DecodeFailureReason)[keyof typeof DecodeFailureReason];

/** A stream record that cannot become a {@link ChangeEvent}: a poison pill. */
export class DecodeError extends StreamsError {
  override readonly name = 'DecodeError';
  readonly sequenceNumber: string | undefined;
  readonly eventID: string | undefined;
  constructor(
    readonly reason: DecodeFailureReason,
    detail: string,
    record: { sequenceNumber: string | undefined; eventID: string | undefined },
    options?: ErrorOptions,
  ) {
    super(
      'stream.decode',
      `cannot decode stream record ${record.sequenceNumber ?? '(no sequence number)'}: ${reason}: ${detail}`,
      options,
    );
    this.sequenceNumber = record.sequenceNumber;
    this.eventID = record.eventID;
  }
}

/** An attribute value that is not valid DynamoDB JSON; {@link DecodeError} wraps it with the record. */
export class MalformedAttributeError extends StreamsError {
  override readonly name = 'MalformedAttributeError';
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super('stream.malformedAttribute', `${path || '(value)'}: ${detail}`, options);
  }
}

/** A filter pattern uses an operator or shape this evaluator does not implement. */
export class UnsupportedFilterError extends StreamsError {
  override readonly name = 'UnsupportedFilterError';
  constructor(
    readonly path: string,
    readonly operator: string,
    detail: string,
  ) {
    super('stream.unsupportedFilter', `filter at ${path || '(root)'}: ${operator}: ${detail}`);
  }
}

/** A batch handler returned something other than `void` or `{ failures }` naming records of its batch. */
export class InvalidHandlerResultError extends StreamsError {
  override readonly name = 'InvalidHandlerResultError';
  constructor(detail: string) {
    super('stream.invalidHandlerResult', `batch handler returned an invalid result: ${detail}`);
  }
}

/** A batch failed in a way no sequence number can express, so the whole batch must be retried. */
export class UnreportableFailureError extends StreamsError {
  override readonly name = 'UnreportableFailureError';
  constructor(detail: string, options?: ErrorOptions) {
    super('stream.unreportableFailure', detail, options);
  }
}
