import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type ArchiveErrorCode =
  | 'archive.badFormat'
  | 'archive.badQuery'
  | 'archive.badRecord'
  | 'archive.conflict'
  | 'archive.s3Request'
  | 'archive.writeFailed';

/** Base class of every error the archive raises. */
export class ArchiveError extends PipelineError<ArchiveErrorCode> {}

/** S3 did not acknowledge an archive object; its records must be delivered again. */
export class ArchiveWriteError extends ArchiveError {
  override readonly name = 'ArchiveWriteError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super('archive.writeFailed', `could not write s3://${bucket}/${key}`, options);
  }
}

/** S3 answered a request of the archive with an error status. */
export class S3RequestError extends ArchiveError {
  override readonly name = 'S3RequestError';
  constructor(
    readonly method: string,
    readonly bucket: string,
    readonly key: string,
    readonly status: number,
    /** S3's error code, such as `SlowDown` or `AccessDenied`, when the answer had one. */
    readonly s3Code?: string,
  ) {
    super(
      'archive.s3Request',
      `${method} s3://${bucket}/${key} answered ${status}${s3Code ? ` ${s3Code}` : ''}`,
    );
  }
}

/**
 * An object already exists under a batch's deterministic key but lacks some of the
 * batch's event ids. Only a hash collision or a foreign writer can cause it.
 */
export class ArchiveConflictError extends ArchiveError {
  override readonly name = 'ArchiveConflictError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly missingEventIds: readonly string[],
  ) {
    super(
      'archive.conflict',
      `s3://${bucket}/${key} exists but lacks ${missingEventIds.length} of the batch's records`,
    );
  }
}

/** An archive object or line is not what the archive writes. */
export class ArchiveFormatError extends ArchiveError {
  override readonly name = 'ArchiveFormatError';
  constructor(
    readonly key: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super('archive.badFormat', `s3 object ${key}: ${detail}`, options);
  }
}

/** A stream record selected for archiving lacks what an archive record needs. */
export class ArchiveRecordError extends ArchiveError {
  override readonly name = 'ArchiveRecordError';
  constructor(
    readonly eventID: string,
    readonly sequenceNumber: string,
    detail: string,
  ) {
    super('archive.badRecord', `record ${eventID} (${sequenceNumber}): ${detail}`);
  }
}

/** Arguments to list or restore are invalid, such as a malformed date range. */
export class ArchiveQueryError extends ArchiveError {
  override readonly name = 'ArchiveQueryError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super('archive.badQuery', `${field}: ${detail}`);
  }
}
