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
  override readonly name = 'InvalidSearchQueryError';
  constructor(
    readonly issues: readonly SearchIssue[],
    options?: ErrorOptions,
  ) {
    super(
      'search.invalidQuery',
      `invalid search query: ${issues.map((issue) => `${issue.path || '(input)'} ${issue.message}`).join('; ')}`,
      options,
    );
  }
}

/** OpenSearch refused or failed a request the library sent. */
export class SearchRequestError extends SearchError {
  override readonly name = 'SearchRequestError';
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(
      'search.requestFailed',
      `${operation} failed (${statusCode ?? 'no response'}): ${reason}`,
      options,
    );
  }
}

/** One bulk item that could not be written, with OpenSearch's status and reason. */
export class BulkItemError extends SearchError {
  override readonly name = 'BulkItemError';
  constructor(
    readonly index: string,
    readonly id: string,
    readonly status: number,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('search.bulkItemFailed', `${index}/${id}: ${status} ${reason}`, options);
  }
}

/** An item read from the table lacks a field its document needs. */
export class InvalidSourceItemError extends SearchError {
  override readonly name = 'InvalidSourceItemError';
  constructor(
    readonly key: string,
    readonly field: string,
    options?: ErrorOptions,
  ) {
    super('search.invalidSourceItem', `${key}: ${field} is missing or malformed`, options);
  }
}

/** A backfill stopped part-way; rerun it with the same resume file to continue. */
export class BackfillError extends SearchError {
  override readonly name = 'BackfillError';
  constructor(
    message: string,
    readonly segment: number | undefined,
    options?: ErrorOptions,
  ) {
    super('search.backfillFailed', message, options);
  }
}
