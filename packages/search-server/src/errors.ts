/** Base class of every error raised by the local search server. */
export class SearchServerError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SearchServerError';
    this.code = code;
  }
}

/**
 * A request the server refuses, rendered in OpenSearch's error shape
 * `{ error: { root_cause, type, reason }, status }`.
 */
export class OpenSearchApiError extends SearchServerError {
  readonly status: number;
  /** OpenSearch's exception type, such as `index_not_found_exception`. */
  readonly type: string;
  readonly reason: string;
  /** Extra fields OpenSearch puts next to `type` and `reason` (`index`, `index_uuid`, `shard`). */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(
    status: number,
    type: string,
    reason: string,
    details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(`searchServer.${type}`, reason, options);
    this.name = 'OpenSearchApiError';
    this.status = status;
    this.type = type;
    this.reason = reason;
    this.details = details;
  }

  /** The `error` object of OpenSearch's response body. */
  toErrorBody(): Record<string, unknown> {
    const cause = { type: this.type, reason: this.reason, ...this.details };
    return { root_cause: [cause], ...cause };
  }
}

/** 400 for a feature OpenSearch has but this server does not implement. */
export const unsupported = (feature: string): OpenSearchApiError =>
  new OpenSearchApiError(
    400,
    'illegal_argument_exception',
    `[${feature}] is not supported by the local search server`,
  );

/** 400 `illegal_argument_exception`. */
export const illegalArgument = (reason: string): OpenSearchApiError =>
  new OpenSearchApiError(400, 'illegal_argument_exception', reason);

/** 400 `parsing_exception`, OpenSearch's answer to a malformed query. */
export const parsingError = (reason: string): OpenSearchApiError =>
  new OpenSearchApiError(400, 'parsing_exception', reason);

/** 404 `index_not_found_exception`. */
export const indexNotFound = (index: string): OpenSearchApiError =>
  new OpenSearchApiError(404, 'index_not_found_exception', `no such index [${index}]`, {
    'resource.type': 'index_or_alias',
    'resource.id': index,
    index_uuid: '_na_',
    index,
  });
