/** Base class of every error the HTTP API raises itself; `status` is the HTTP status it answers with. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
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
