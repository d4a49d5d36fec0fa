import { PipelineError } from '@pipeline/errors';

/** The codes of the errors below. */
export type ApiErrorCode =
  | 'api.bodyTooLarge'
  | 'api.hostNotAllowed'
  | 'api.invalidJson'
  | 'api.invalidParameter'
  | 'api.methodNotAllowed'
  | 'api.notAvailable'
  | 'api.notFound'
  | 'api.routeNotFound'
  | 'api.unknownParameter'
  | 'api.unsupportedMediaType';

/** Base class of every error the HTTP API raises itself; `status` is the HTTP status it answers with. */
export class ApiError extends PipelineError<ApiErrorCode> {
  constructor(
    code: ApiErrorCode,
    readonly status: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}

/** No route has this path. */
export class RouteNotFoundError extends ApiError {
  override readonly name = 'RouteNotFoundError';
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super('api.routeNotFound', 404, `no route for ${path}`, options);
  }
}

/** The path exists but not with this method. */
export class MethodNotAllowedError extends ApiError {
  override readonly name = 'MethodNotAllowedError';
  constructor(
    readonly method: string,
    readonly allowed: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      'api.methodNotAllowed',
      405,
      `${method} is not allowed here; use ${allowed.join(', ')}`,
      options,
    );
  }
}

/** The request body is larger than the API accepts. */
export class BodyTooLargeError extends ApiError {
  override readonly name = 'BodyTooLargeError';
  constructor(
    readonly limitBytes: number,
    options?: ErrorOptions,
  ) {
    super('api.bodyTooLarge', 413, `the request body is over ${limitBytes} bytes`, options);
  }
}

/** The request body is not declared as JSON. */
export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(
    readonly contentType: string,
    options?: ErrorOptions,
  ) {
    super(
      'api.unsupportedMediaType',
      415,
      `send the body as application/json, not ${contentType || 'no content type'}`,
      options,
    );
  }
}

/** The request body is declared as JSON but does not parse. */
export class InvalidJsonError extends ApiError {
  override readonly name = 'InvalidJsonError';
  constructor(options?: ErrorOptions) {
    super('api.invalidJson', 400, 'the request body is not valid JSON', options);
  }
}

/** A path or query parameter is malformed. */
export class InvalidParameterError extends ApiError {
  override readonly name = 'InvalidParameterError';
  constructor(
    readonly parameter: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super('api.invalidParameter', 400, `${parameter} ${reason}`, options);
  }
}

/** The query string holds parameters the route does not take, such as a typo `sizee=5`. */
export class UnknownParametersError extends ApiError {
  override readonly name = 'UnknownParametersError';
  /** One per unknown parameter, in the shape of a validation error's issues. */
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  constructor(
    readonly parameters: readonly string[],
    readonly accepted: readonly string[],
    options?: ErrorOptions,
  ) {
    const names = parameters.map((name) => `"${name}"`).join(', ');
    super(
      'api.unknownParameter',
      400,
      `unknown query parameter${parameters.length > 1 ? 's' : ''} ${names}; ${
        accepted.length > 0 ? `this route takes ${accepted.join(', ')}` : 'this route takes none'
      }`,
      options,
    );
    this.issues = parameters.map((name) => ({
      path: name,
      message: 'is not a parameter of this route',
    }));
  }
}

/**
 * The request's Host header names no host this server answers to. A page on another
 * origin whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name, so it
 * is refused here.
 */
export class HostNotAllowedError extends ApiError {
  override readonly name = 'HostNotAllowedError';
  constructor(
    readonly host: string,
    readonly allowed: readonly string[],
    options?: ErrorOptions,
  ) {
    super(
      'api.hostNotAllowed',
      421,
      `${host ? `the Host ${JSON.stringify(host)} is` : 'a request without a Host header is'} not served here; this server answers to ${allowed.join(', ')}`,
      options,
    );
  }
}

/** The resource a request names does not exist. */
export class ResourceNotFoundError extends ApiError {
  override readonly name = 'ResourceNotFoundError';
  constructor(
    readonly resource: string,
    readonly id: string,
    options?: ErrorOptions,
  ) {
    super('api.notFound', 404, `${resource} ${id} not found`, options);
  }
}

/** This deployment does not offer the route, such as runner stats where no local runner runs. */
export class NotAvailableError extends ApiError {
  override readonly name = 'NotAvailableError';
  constructor(
    readonly feature: string,
    options?: ErrorOptions,
  ) {
    super('api.notAvailable', 501, `${feature} is not available in this deployment`, options);
  }
}
