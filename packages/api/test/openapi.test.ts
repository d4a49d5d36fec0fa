import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { type OpenApiDocument, openApiPath } from '../src/openapi.js';
import { request, testApi } from './support.js';

const fetchDocument = async () => {
  const { api } = testApi();
  const response = await api.handle(request('GET', '/openapi.json'));
  return { api, response, document: response.body as OpenApiDocument };
};

// biome-ignore lint/suspicious/noExplicitAny: the test walks the document as plain JSON.
type Json = any;
const operation = (document: OpenApiDocument, method: string, path: string): Json =>
  document.paths[path]?.[method];

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document by the specification’s own schema', async () => {
    const { response, document } = await fetchDocument();

    const result = await new Validator().validate(
      structuredClone(document) as unknown as Parameters<Validator['validate']>[0],
    );

    expect(response.status).toBe(200);
    expect(document.openapi).toBe('3.1.0');
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents every route of the table, once, under its OpenAPI path', async () => {
    const { api, document } = await fetchDocument();

    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );

    expect(documented.sort()).toEqual(
      api.routes.map((route) => `${route.method} ${openApiPath(route.path)}`).sort(),
    );
    const ids = documented.map((key) => {
      const [method, path] = key.split(' ') as [string, string];
      return operation(document, method.toLowerCase(), path).operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives POST /orders the body the route validates: required fields, strict objects, limits', async () => {
    const { document } = await fetchDocument();

    const body = operation(document, 'post', '/orders').requestBody;
    const schema = body.content['application/json'].schema;
    const line = schema.properties.items.items;

    expect(body.required).toBe(true);
    expect(schema.required).toEqual(['userId', 'items']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.items).toMatchObject({ type: 'array', minItems: 1, maxItems: 97 });
    expect(line.required).toEqual(['productId', 'name', 'quantity', 'unitPrice']);
    expect(line.additionalProperties).toBe(false);
    expect(line.properties.unitPrice.properties.amount).toMatchObject({
      type: 'integer',
      minimum: 0,
    });
    expect(line.properties.unitPrice.properties.currency.pattern).toBe('^[A-Z]{3}$');
  });

  it('marks the product view body optional and the status change body required', async () => {
    const { document } = await fetchDocument();

    expect(operation(document, 'post', '/products/{productId}/views').requestBody.required).toBe(
      false,
    );
    const change = operation(document, 'patch', '/orders/{orderId}/status').requestBody;
    expect(change.required).toBe(true);
    expect(change.content['application/json'].schema.required).toEqual(['to']);
  });

  it('lists each query parameter with its schema, description and optionality', async () => {
    const { document } = await fetchDocument();

    const search = operation(document, 'get', '/search/orders').parameters as Json[];
    const named = (name: string) => search.find((parameter) => parameter.name === name);

    expect(search.map((parameter) => parameter.name)).toEqual([
      'q',
      'query',
      'status',
      'userId',
      'createdFrom',
      'createdTo',
      'minTotal',
      'maxTotal',
      'currency',
      'sort',
      'size',
      'cursor',
    ]);
    expect(search.every((parameter) => parameter.in === 'query' && !parameter.required)).toBe(true);
    expect(named('size')).toMatchObject({
      schema: { type: 'integer', minimum: 1, maximum: 100 },
      description: expect.stringContaining('20 by default'),
    });
    expect(named('status')).toMatchObject({
      style: 'form',
      explode: true,
      schema: { type: 'array', items: { enum: expect.arrayContaining(['paid', 'cancelled']) } },
    });
    expect(named('sort')?.schema.enum).toEqual(['newest', 'oldest', 'total', 'relevance']);
    const top = operation(document, 'get', '/aggregates/products/top').parameters as Json[];
    expect(top.find((parameter) => parameter.name === 'limit')?.schema).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 100,
    });
  });

  it('names path parameters as the path does, required', async () => {
    const { document } = await fetchDocument();

    expect(operation(document, 'get', '/aggregates/users/{userId}').parameters).toEqual([
      {
        name: 'userId',
        in: 'path',
        required: true,
        schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
      },
    ]);
  });

  it('gives every operation its success schema and the shared error body for 4XX and 5XX', async () => {
    const { document } = await fetchDocument();

    const created = operation(document, 'post', '/users').responses;
    expect(created['201'].content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['userId', 'email', 'name', 'loyaltyPoints', 'rev']),
    );
    for (const methods of Object.values(document.paths)) {
      for (const op of Object.values(methods) as Json[]) {
        expect(op.responses['4XX'].content['application/json'].schema).toEqual({
          $ref: '#/components/schemas/Error',
        });
        expect(op.responses['5XX']).toBeDefined();
      }
    }
    expect(document.components.schemas.Error).toMatchObject({
      required: ['error'],
      properties: { error: { required: ['code', 'message'] } },
    });
  });
});
