import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiGatewayHandler } from '../src/api-gateway.js';
import { capturingLog, storeWithClient, testApi } from './support.js';

const event = (
  method: string,
  path: string,
  extra: Partial<APIGatewayProxyEventV2> = {},
): APIGatewayProxyEventV2 =>
  ({
    rawPath: path,
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'gw-1', http: { method } },
    ...extra,
  }) as APIGatewayProxyEventV2;

describe('the API behind API Gateway', () => {
  it('answers from the same route table, with the query string', async () => {
    const { api } = testApi();
    const handler = createApiGatewayHandler(api, { log: capturingLog().log });

    const result = await handler(
      event('GET', '/aggregates/products/top', { rawQueryString: 'day=2026-03-01&limit=3' }),
    );

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ day: '2026-03-01' });
    expect(result.headers).toMatchObject({ 'x-request-id': 'gw-1' });
  });

  it('validates a base64-encoded body with the store schemas and sends nothing when invalid', async () => {
    const { sent, store } = storeWithClient();
    const handler = createApiGatewayHandler(testApi({ store }).api, { log: capturingLog().log });

    const result = await handler(
      event('POST', '/users', {
        headers: { 'content-type': 'application/json' },
        isBase64Encoded: true,
        body: Buffer.from(JSON.stringify({ userId: 'u1', name: 'Ada' })).toString('base64'),
      }),
    );

    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body ?? '')).toMatchObject({
      error: { code: 'store.validation', issues: [{ path: 'email' }] },
    });
    expect(sent).toHaveLength(0);
  });

  it('refuses a body that is not JSON with 415 and one over the limit with 413', async () => {
    const handler = createApiGatewayHandler(testApi().api, {
      log: capturingLog().log,
      maxBodyBytes: 16,
    });

    const text = await handler(
      event('POST', '/users', { headers: { 'content-type': 'text/plain' }, body: 'hello' }),
    );
    const large = await handler(
      event('POST', '/users', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(40) }),
      }),
    );

    expect(text.statusCode).toBe(415);
    expect(large.statusCode).toBe(413);
  });

  it('answers HEAD as GET with an empty body, and refuses an unknown parameter by name', async () => {
    const handler = createApiGatewayHandler(testApi().api, { log: capturingLog().log });

    const head = await handler(event('HEAD', '/healthz'));
    const typo = await handler(
      event('GET', '/aggregates/daily', { rawQueryString: 'form=2026-03-01' }),
    );

    expect(head).toMatchObject({ statusCode: 200, body: '' });
    expect(typo.statusCode).toBe(400);
    expect(JSON.parse(typo.body ?? '')).toMatchObject({
      error: { code: 'api.unknownParameter', issues: [{ path: 'form' }] },
    });
  });
});
