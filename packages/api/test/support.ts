import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Client } from '@opensearch-project/opensearch';
import type { AggregatesReader } from '@pipeline/aggregates';
import { createStore } from '@pipeline/store';
import { type ApiDependencies, type ApiRequest, createApi } from '../src/routes.js';

/** A log sink that keeps every entry, to check what a 500 logs. */
export const capturingLog = () => {
  const entries: { message: string; details: Record<string, unknown> }[] = [];
  return {
    entries,
    log: {
      error: (message: string, details: Record<string, unknown>) =>
        entries.push({ message, details }),
    },
  };
};

/** The answer to a failure the API does not know: 500 with the request id, nothing of the failure. */
export const internalError = (requestId: string) => ({
  status: 500,
  body: {
    error: { code: 'internal', message: 'the server failed to answer this request', requestId },
  },
});

/**
 * A real store over a DynamoDB client that sends nothing: it records each command and
 * answers with `answer`, which by default throws, so a validation test proves nothing was sent.
 */
export const storeWithClient = (
  answer: (command: unknown) => unknown = () => {
    throw new Error('the store must not send anything in this test');
  },
) => {
  const sent: unknown[] = [];
  const client = {
    send: async (command: unknown) => {
      sent.push(command);
      return answer(command);
    },
  } as unknown as DynamoDBClient;
  return { sent, store: createStore({ tableName: 'main', client }) };
};

/** An OpenSearch client whose `search` records the request and answers with `answer`. */
export const searchClient = (
  answer: (request: { index: string; body: Record<string, unknown> }) => unknown,
) => {
  const requests: { index: string; body: Record<string, unknown> }[] = [];
  const client = {
    search: async (request: { index: string; body: Record<string, unknown> }) => {
      requests.push(request);
      return { body: await answer(request) };
    },
  } as unknown as Client;
  return { requests, client };
};

/** An aggregates reader answering fixed figures and recording its calls. */
export const aggregatesReader = () => {
  const calls: { method: string; args: unknown[] }[] = [];
  const reader: AggregatesReader = {
    getStatusCounts: async (...args) => {
      calls.push({ method: 'getStatusCounts', args });
      return { pending: 2, paid: 1, shipped: 0, delivered: 0, cancelled: 0 };
    },
    getDailySeries: async (...args) => {
      calls.push({ method: 'getDailySeries', args });
      return [];
    },
    getUserTotals: async (...args) => {
      calls.push({ method: 'getUserTotals', args });
      return { orders: 1, spend: { EUR: 1250 } };
    },
    getProductViews: async (...args) => {
      calls.push({ method: 'getProductViews', args });
      return 0;
    },
    getTopProducts: async (...args) => {
      calls.push({ method: 'getTopProducts', args });
      return [{ productId: 'p1', views: 3 }];
    },
  };
  return { calls, reader };
};

/** The API over fakes that answer nothing useful; override what a test needs. */
export const testApi = (overrides: Partial<ApiDependencies> = {}) => {
  const { log, entries } = capturingLog();
  const api = createApi({
    store: storeWithClient().store,
    search: searchClient(() => ({})).client,
    aggregates: aggregatesReader().reader,
    now: () => new Date('2026-03-15T10:00:00.000Z'),
    log,
    ...overrides,
  });
  return { api, logged: entries };
};

/** A request with defaults: GET, no query, no body. */
export const request = (
  method: string,
  path: string,
  extra: { query?: string; body?: unknown } = {},
): ApiRequest => ({
  method,
  path,
  query: new URLSearchParams(extra.query ?? ''),
  body: extra.body,
  requestId: 'request-1',
});
