import type * as z from 'zod';
import { ApiError, MethodNotAllowedError } from './errors.js';
import type { errorBodySchema } from './response-schemas.js';

/** What a route answers: a status, a JSON body and any extra headers. */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The body of every error response. */
export type ErrorBody = z.output<typeof errorBodySchema>;

/** Where the API logs failures it answers with a 5xx; Powertools' Logger fits. */
export interface ApiLogSink {
  error(message: string, details: Record<string, unknown>): void;
}

/**
 * The HTTP status of every error code the libraries raise, so callers can branch on the
 * status as on the code. Codes not listed here are server faults and answer 500.
 */
export const statusByErrorCode: Readonly<Record<string, number>> = {
  'store.validation': 400,
  'store.invalidCursor': 400,
  'search.invalidQuery': 400,
  'aggregates.invalidQuery': 400,
  'store.notFound': 404,
  'store.alreadyExists': 409,
  'store.staleRevision': 409,
  'store.transactionConflict': 409,
  'order.invalidTransition': 409,
  'user.emailTaken': 409,
  'user.insufficientPoints': 409,
  'store.itemTooLarge': 413,
};

// A failed search request names the engine's internals, so its reason stays in the log.
const unavailableByErrorCode: Readonly<Record<string, string>> = {
  'search.requestFailed': 'the search engine is unavailable; try again shortly',
};

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' ? code : undefined;
};

const issuesOf = (error: unknown): ErrorBody['error']['issues'] => {
  const issues = (error as { issues?: unknown }).issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.map((issue: { path?: unknown; message?: unknown }) => ({
    path: String(issue.path ?? ''),
    message: String(issue.message ?? ''),
  }));
};

/** Stack frames only: the first line of a stack repeats the message, which may hold personal data. */
export const stackFrames = (error: unknown): string[] =>
  error instanceof Error
    ? (error.stack ?? '')
        .split('\n')
        .filter((line) => line.trimStart().startsWith('at '))
        .map((line) => line.trim())
    : [];

/**
 * Turns any thrown value into the response a client sees: a known error code maps to its
 * 4xx with the library's message; anything else answers 500 with a request id and no
 * detail, while the log gets the error's name, code and stack frames (never its message,
 * which may quote item attributes).
 *
 * @example
 * errorResponse(new NotFoundError('Order', 'o1'), { requestId: 'r1', log })
 * // { status: 404, body: { error: { code: 'store.notFound', message: 'Order o1 not found' } } }
 */
export const errorResponse = (
  error: unknown,
  context: { readonly requestId: string; readonly route?: string; readonly log: ApiLogSink },
): ApiResponse => {
  const code = codeOf(error);
  const known =
    error instanceof ApiError ? error.status : code ? statusByErrorCode[code] : undefined;
  if (known !== undefined && known < 500) {
    const issues = issuesOf(error);
    return {
      status: known,
      body: {
        error: {
          code: code ?? 'api.error',
          message: (error as Error).message,
          ...(issues ? { issues } : {}),
        },
      } satisfies ErrorBody,
      ...(error instanceof MethodNotAllowedError
        ? { headers: { allow: error.allowed.join(', ') } }
        : {}),
    };
  }
  context.log.error('request failed', {
    requestId: context.requestId,
    route: context.route,
    errorName: error instanceof Error ? error.name : typeof error,
    errorCode: code,
    stack: stackFrames(error),
  });
  if (error instanceof ApiError) {
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, requestId: context.requestId } },
    };
  }
  const unavailable = code ? unavailableByErrorCode[code] : undefined;
  if (unavailable && code) {
    return {
      status: 503,
      body: { error: { code, message: unavailable, requestId: context.requestId } },
    };
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'internal',
        message: 'the server failed to answer this request',
        requestId: context.requestId,
      },
    } satisfies ErrorBody,
  };
};
