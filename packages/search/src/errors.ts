import { PipelineError } from '@pipeline/errors';
import type { SearchSetupFailure } from './setup.js';

/** The codes of the errors below. */
export type SearchErrorCode =
  | 'search.backfillFailed'
  | 'search.bulkItemFailed'
  | 'search.invalidQuery'
  | 'search.invalidSourceItem'
  | 'search.requestFailed'
  | `search.setup.${SearchSetupFailure}`;

/** Base class of every error the search package throws; `code` is stable for callers to branch on. */
export class SearchError extends PipelineError<SearchErrorCode> {}

/** One problem with a search input, by path. */
export interface SearchIssue {
  readonly path: string;
  readonly message: string;
}

/** A search input failed validation; callers answer it with a 400, never a 500. */
export class InvalidSearchQueryError extends SearchError {
  readonly issues: readonly SearchIssue[];
  constructor(issues: readonly SearchIssue[], options?: { cause?: unknown }) {
    super(
      'search.invalidQuery',
      `invalid search query: ${issues.map((issue) => `${issue.path || '(input)'} ${issue.message}`).join('; ')}`,
      options,
    );
    this.name = 'InvalidSearchQueryError';
    this.issues = issues;
  }
}

/** OpenSearch refused or failed a request the library sent. */
export class SearchRequestError extends SearchError {
  readonly statusCode: number | undefined;
  readonly operation: string;
  constructor(
    operation: string,
    statusCode: number | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'search.requestFailed',
      `${operation} failed (${statusCode ?? 'no response'}): ${reason}`,
      options,
    );
    this.name = 'SearchRequestError';
    this.statusCode = statusCode;
    this.operation = operation;
  }
}

/** One bulk item that could not be written, with OpenSearch's status and reason. */
export class BulkItemError extends SearchError {
  readonly status: number;
  readonly index: string;
  readonly id: string;
  constructor(
    index: string,
    id: string,
    status: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('search.bulkItemFailed', `${index}/${id}: ${status} ${reason}`, options);
    this.name = 'BulkItemError';
    this.status = status;
    this.index = index;
    this.id = id;
  }
}

/** An item read from the table lacks a field its document needs. */
export class InvalidSourceItemError extends SearchError {
  readonly key: string;
  readonly field: string;
  constructor(key: string, field: string, options?: { cause?: unknown }) {
    super('search.invalidSourceItem', `${key}: ${field} is missing or malformed`, options);
    this.name = 'InvalidSourceItemError';
    this.key = key;
    this.field = field;
  }
}

/** A backfill stopped part-way; rerun it with the same resume file to continue. */
export class BackfillError extends SearchError {
  readonly segment: number | undefined;
  constructor(message: string, segment: number | undefined, options?: { cause?: unknown }) {
    super('search.backfillFailed', message, options);
    this.name = 'BackfillError';
    this.segment = segment;
  }
}
