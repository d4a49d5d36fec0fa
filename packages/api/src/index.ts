export { createApiGatewayHandler } from './api-gateway.js';
export {
  ApiError,
  type ApiErrorCode,
  BodyTooLargeError,
  HostNotAllowedError,
  InvalidJsonError,
  InvalidParameterError,
  MethodNotAllowedError,
  NotAvailableError,
  ResourceNotFoundError,
  RouteNotFoundError,
  UnknownParametersError,
  UnsupportedMediaTypeError,
} from './errors.js';
export { type OpenApiDocument, openApiDocument, openApiPath } from './openapi.js';
export { type ApiStore, createApi } from './routes.js';
export { type ApiServer, startApiServer } from './server.js';
