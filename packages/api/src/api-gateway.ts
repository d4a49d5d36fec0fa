import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEFAULT_MAX_BODY_BYTES, parseJsonBody } from './body.js';
import { type ApiLogSink, errorResponse } from './responses.js';
import type { Api } from './routes.js';

/** Options of {@link createApiGatewayHandler}. */
export interface ApiGatewayHandlerOptions {
  /** @default 64 KiB, as the local server */
  readonly maxBodyBytes?: number;
  readonly log: ApiLogSink;
}

/**
 * Serves the same route table from a Lambda behind an API Gateway HTTP API (payload 2.0):
 * the event becomes an {@link ApiRequest}, the answer a proxy result. Nothing about the
 * routes is repeated here.
 *
 * @example
 * export const handler = createApiGatewayHandler(createApi(dependencies), { log: logger });
 */
export const createApiGatewayHandler =
  (api: Api, options: ApiGatewayHandlerOptions) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'x-request-id': requestId,
    };
    const method = event.requestContext?.http?.method ?? 'GET';
    let body: unknown;
    try {
      const raw = event.body
        ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8')
        : Buffer.alloc(0);
      body = parseJsonBody(
        raw,
        event.headers?.['content-type'],
        options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      );
    } catch (error) {
      const refused = errorResponse(error, { requestId, log: options.log });
      return { statusCode: refused.status, headers, body: JSON.stringify(refused.body) };
    }
    const result = await api.handle({
      method,
      path: event.rawPath,
      query: new URLSearchParams(event.rawQueryString ?? ''),
      body,
      requestId,
    });
    return {
      statusCode: result.status,
      headers: { ...headers, ...result.headers },
      // HEAD answers as GET, without the body.
      body: method === 'HEAD' ? '' : JSON.stringify(result.body),
    };
  };
