import * as z from 'zod';
import { errorBodySchema } from './response-schemas.js';
import type { Route } from './routes.js';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), as `z.toJSONSchema` writes it. */
type JsonSchema = Record<string, unknown>;

/** The OpenAPI 3.1 document of the API. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: { readonly schemas: Record<string, JsonSchema> };
}

const JSON_MEDIA_TYPE = 'application/json';
const ERROR_REF = { $ref: '#/components/schemas/Error' };

/**
 * A zod schema as JSON Schema: what a request may send (`input`, before defaults apply) or
 * what an answer holds (`output`). Refinements that JSON Schema cannot say (the text policy,
 * calendar days) are left to the server, which refuses by name what breaks them.
 */
const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const acceptsAbsent = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

/** `/orders/:orderId/status` as OpenAPI and API Gateway write it: `/orders/{orderId}/status`. */
export const openApiPath = (path: string): string => path.replace(/:(\w+)/g, '{$1}');

/** `PATCH /orders/:orderId/status` is `patchOrdersOrderIdStatus`. */
const operationIdOf = (route: Route): string =>
  route.method.toLowerCase() +
  route.path
    .split(/[/.:]/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join('');

/** A parameter's schema, with its description lifted to the parameter as OpenAPI has it. */
const parameterOf = (
  name: string,
  location: 'path' | 'query',
  schema: z.ZodType,
  repeatable: boolean,
): Record<string, unknown> => {
  const { description, ...json } = jsonSchemaOf(schema, 'input');
  // A repeatable parameter takes the list form of its schema: `status=paid&status=shipped`.
  const list = (json.anyOf as JsonSchema[] | undefined)?.find((member) => member.type === 'array');
  return {
    name,
    in: location,
    required: location === 'path' || !acceptsAbsent(schema),
    ...(description ? { description } : {}),
    schema: repeatable && list ? list : json,
    ...(repeatable ? { style: 'form', explode: true } : {}),
  };
};

const operationOf = (route: Route): Record<string, unknown> => {
  const request = route.request ?? {};
  const repeatable = request.repeatable ?? [];
  const parameters = [
    ...Object.entries(request.path?.shape ?? {}).map(([name, schema]) =>
      parameterOf(name, 'path', schema as z.ZodType, false),
    ),
    ...Object.entries(request.query?.shape ?? {}).map(([name, schema]) =>
      parameterOf(name, 'query', schema as z.ZodType, repeatable.includes(name)),
    ),
  ];
  const { response } = route;
  return {
    operationId: operationIdOf(route),
    summary: route.summary,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(request.body
      ? {
          requestBody: {
            required: !acceptsAbsent(request.body),
            content: { [JSON_MEDIA_TYPE]: { schema: jsonSchemaOf(request.body, 'input') } },
          },
        }
      : {}),
    responses: {
      [response.status]: {
        description: response.description,
        content: { [JSON_MEDIA_TYPE]: { schema: jsonSchemaOf(response.schema, 'output') } },
      },
      '4XX': {
        description: 'refused: the code says why, and a validation error names each field',
        content: { [JSON_MEDIA_TYPE]: { schema: ERROR_REF } },
      },
      '5XX': {
        description: 'the server failed; the body carries only a request id',
        content: { [JSON_MEDIA_TYPE]: { schema: ERROR_REF } },
      },
    },
  };
};

/**
 * The OpenAPI 3.1 document of a route table, generated from the zod schemas each route
 * validates its path, query and body with, and the schema of its answer. Every GET
 * operation answers HEAD too, with the same status and headers and no body.
 *
 * @example
 * const document = openApiDocument(api.routes);
 * document.paths['/orders']?.post // { operationId: 'postOrders', requestBody: …, responses: … }
 */
export const openApiDocument = (routes: readonly Route[]): OpenApiDocument => {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ddb-stream-pipeline',
      version: '1',
      description:
        'Orders and users written to one DynamoDB table, searched in OpenSearch and counted in aggregates kept up to date from its stream. Amounts are whole minor units (cents).',
    },
    paths,
    components: { schemas: { Error: jsonSchemaOf(errorBodySchema, 'output') } },
  };
};
