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
  readonly bucket: string;
  readonly key: string;
  constructor(bucket: string, key: string, options?: { cause?: unknown }) {
    super('archive.writeFailed', `could not write s3://${bucket}/${key}`, options);
    this.name = 'ArchiveWriteError';
    this.bucket = bucket;
    this.key = key;
  }
}

/** S3 answered a request of the archive with an error status. */
export class S3RequestError extends ArchiveError {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly status: number;
  /** S3's error code, such as `SlowDown` or `AccessDenied`, when the answer had one. */
  readonly s3Code: string | undefined;
  constructor(method: string, bucket: string, key: string, status: number, s3Code?: string) {
    super(
      'archive.s3Request',
      `${method} s3://${bucket}/${key} answered ${status}${s3Code ? ` ${s3Code}` : ''}`,
    );
    this.name = 'S3RequestError';
    this.method = method;
    this.bucket = bucket;
    this.key = key;
    this.status = status;
    this.s3Code = s3Code;
  }
}

/**
 * An object already exists under a batch's deterministic key but lacks some of the
 * batch's event ids. Only a hash collision or a foreign writer can cause it.
 */
export class ArchiveConflictError extends ArchiveError {
  readonly bucket: string;
  readonly key: string;
  readonly missingEventIds: readonly string[];
  constructor(bucket: string, key: string, missingEventIds: readonly string[]) {
    super(
      'archive.conflict',
      `s3://${bucket}/${key} exists but lacks ${missingEventIds.length} of the batch's records`,
    );
    this.name = 'ArchiveConflictError';
    this.bucket = bucket;
    this.key = key;
    this.missingEventIds = missingEventIds;
  }
}

/** An archive object or line is not what the archive writes. */
export class ArchiveFormatError extends ArchiveError {
  readonly key: string;
  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super('archive.badFormat', `s3 object ${key}: ${detail}`, options);
    this.name = 'ArchiveFormatError';
    this.key = key;
  }
}

/** A stream record selected for archiving lacks what an archive record needs. */
export class ArchiveRecordError extends ArchiveError {
  readonly eventID: string;
  readonly sequenceNumber: string;
  constructor(eventID: string, sequenceNumber: string, detail: string) {
    super('archive.badRecord', `record ${eventID} (${sequenceNumber}): ${detail}`);
    this.name = 'ArchiveRecordError';
    this.eventID = eventID;
    this.sequenceNumber = sequenceNumber;
  }
}

/** Arguments to list or restore are invalid, such as a malformed date range. */
export class ArchiveQueryError extends ArchiveError {
  readonly field: string;
  constructor(field: string, detail: string) {
    super('archive.badQuery', `${field}: ${detail}`);
    this.name = 'ArchiveQueryError';
    this.field = field;
  }
}
