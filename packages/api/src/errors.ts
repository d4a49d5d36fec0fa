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
  readonly status: number;
  constructor(code: ApiErrorCode, status: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

/** No route has this path. */
export class RouteNotFoundError extends ApiError {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super('api.routeNotFound', 404, `no route for ${path}`, options);
    this.name = 'RouteNotFoundError';
    this.path = path;
  }
}

/** The path exists but not with this method. */
export class MethodNotAllowedError extends ApiError {
  readonly method: string;
  readonly allowed: readonly string[];
  constructor(method: string, allowed: readonly string[], options?: { cause?: unknown }) {
    super(
      'api.methodNotAllowed',
      405,
      `${method} is not allowed here; use ${allowed.join(', ')}`,
      options,
    );
    this.name = 'MethodNotAllowedError';
    this.method = method;
    this.allowed = allowed;
  }
}

/** The request body is larger than the API accepts. */
export class BodyTooLargeError extends ApiError {
  readonly limitBytes: number;
  constructor(limitBytes: number, options?: { cause?: unknown }) {
    super('api.bodyTooLarge', 413, `the request body is over ${limitBytes} bytes`, options);
    this.name = 'BodyTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** The request body is not declared as JSON. */
export class UnsupportedMediaTypeError extends ApiError {
  readonly contentType: string;
  constructor(contentType: string, options?: { cause?: unknown }) {
    super(
      'api.unsupportedMediaType',
      415,
      `send the body as application/json, not ${contentType || 'no content type'}`,
      options,
    );
    this.name = 'UnsupportedMediaTypeError';
    this.contentType = contentType;
  }
}

/** The request body is declared as JSON but does not parse. */
export class InvalidJsonError extends ApiError {
  constructor(options?: { cause?: unknown }) {
    super('api.invalidJson', 400, 'the request body is not valid JSON', options);
    this.name = 'InvalidJsonError';
  }
}

/** A path or query parameter is malformed. */
export class InvalidParameterError extends ApiError {
  readonly parameter: string;
  constructor(parameter: string, reason: string, options?: { cause?: unknown }) {
    super('api.invalidParameter', 400, `${parameter} ${reason}`, options);
    this.name = 'InvalidParameterError';
    this.parameter = parameter;
  }
}

/** The query string holds parameters the route does not take, such as a typo `sizee=5`. */
export class UnknownParametersError extends ApiError {
  readonly parameters: readonly string[];
  readonly accepted: readonly string[];
  /** One per unknown parameter, in the shape of a validation error's issues. */
  readonly issues: readonly { readonly path: string; readonly message: string }[];
  constructor(
    parameters: readonly string[],
    accepted: readonly string[],
    options?: { cause?: unknown },
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
    this.name = 'UnknownParametersError';
    this.parameters = parameters;
    this.accepted = accepted;
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
  readonly host: string;
  readonly allowed: readonly string[];
  constructor(host: string, allowed: readonly string[], options?: { cause?: unknown }) {
    super(
      'api.hostNotAllowed',
      421,
      `${host ? `the Host ${JSON.stringify(host)} is` : 'a request without a Host header is'} not served here; this server answers to ${allowed.join(', ')}`,
      options,
    );
    this.name = 'HostNotAllowedError';
    this.host = host;
    this.allowed = allowed;
  }
}

/** The resource a request names does not exist. */
export class ResourceNotFoundError extends ApiError {
  readonly resource: string;
  readonly id: string;
  constructor(resource: string, id: string, options?: { cause?: unknown }) {
    super('api.notFound', 404, `${resource} ${id} not found`, options);
    this.name = 'ResourceNotFoundError';
    this.resource = resource;
    this.id = id;
  }
}

/** This deployment does not offer the route, such as runner stats where no local runner runs. */
export class NotAvailableError extends ApiError {
  readonly feature: string;
  constructor(feature: string, options?: { cause?: unknown }) {
    super('api.notAvailable', 501, `${feature} is not available in this deployment`, options);
    this.name = 'NotAvailableError';
    this.feature = feature;
  }
}
