import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_MAX_BODY_BYTES, parseJsonBody } from './body.js';
import { BodyTooLargeError } from './errors.js';
import { type ApiLogSink, type ApiResponse, errorResponse } from './responses.js';
import type { Api } from './routes.js';

/** Options of {@link startApiServer}. */
export interface ApiServerOptions {
  readonly api: Api;
  /** @default '127.0.0.1', so nothing outside this machine reaches it */
  readonly host?: string;
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /** @default {@link DEFAULT_MAX_BODY_BYTES} */
  readonly maxBodyBytes?: number;
  /** Serve the dashboard page at `/`. @default true */
  readonly dashboard?: boolean;
  /** @default a Powertools Logger with service name `api` */
  readonly log?: ApiLogSink;
}

/** A running API server. */
export interface ApiServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly server: Server;
  /** Stops accepting connections and closes idle ones. */
  close(): Promise<void>;
}

const staticDirectory = fileURLToPath(new URL('../static/', import.meta.url));
const requireFromHere = createRequire(import.meta.url);

/** The dashboard's files by URL path: the page, its script and style, and the chart library from node_modules. */
const dashboardAssets: Readonly<Record<string, { file: () => string; type: string }>> = {
  '/': { file: () => `${staticDirectory}index.html`, type: 'text/html; charset=utf-8' },
  '/static/dashboard.js': {
    file: () => `${staticDirectory}dashboard.js`,
    type: 'text/javascript; charset=utf-8',
  },
  '/static/dashboard.css': {
    file: () => `${staticDirectory}dashboard.css`,
    type: 'text/css; charset=utf-8',
  },
  '/vendor/uPlot.iife.min.js': {
    file: () => requireFromHere.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': {
    file: () => requireFromHere.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
};

/**
 * Reads a request body up to `limitBytes` and parses it with {@link parseJsonBody}.
 * Refuses a declared or actual size over the limit (413) before reading further.
 */
export const readJsonBody = async (
  request: IncomingMessage,
  limitBytes: number,
): Promise<unknown> => {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw new BodyTooLargeError(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyTooLargeError(limitBytes);
    chunks.push(chunk);
  }
  return parseJsonBody(Buffer.concat(chunks), request.headers['content-type'], limitBytes);
};

const send = (
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>,
) => {
  response.writeHead(status, {
    'content-length': String(Buffer.byteLength(body)),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(body);
};

const sendJson = (response: ServerResponse, result: ApiResponse, requestId: string) => {
  send(response, result.status, JSON.stringify(result.body), {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': requestId,
    ...result.headers,
  });
};

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Serves the API over node:http on 127.0.0.1, plus the dashboard page and its assets at `/`.
 * Bodies are read with a size limit and must be JSON.
 *
 * @example
 * const server = await startApiServer({ api: createApi(dependencies), port: 0 });
 * console.log(`API at ${server.url}`);
 * await server.close();
 */
export const startApiServer = async (options: ApiServerOptions): Promise<ApiServer> => {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? new Logger({ serviceName: 'api' });
  const dashboard = options.dashboard ?? true;

  const server = createServer(async (request, response) => {
    const requestId = randomUUID();
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      const asset = dashboard && method === 'GET' ? dashboardAssets[url.pathname] : undefined;
      if (asset) {
        send(response, 200, await readFile(asset.file()), { 'content-type': asset.type });
        return;
      }
      let body: unknown;
      if (METHODS_WITH_BODY.has(method)) {
        try {
          body = await readJsonBody(request, limit);
        } catch (error) {
          // Stop reading what is left of an oversized body; closing the connection drops it.
          if (error instanceof BodyTooLargeError) response.setHeader('connection', 'close');
          request.resume();
          sendJson(response, errorResponse(error, { requestId, log }), requestId);
          return;
        }
      }
      const result = await options.api.handle({
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        requestId,
      });
      sendJson(response, result, requestId);
    } catch (error) {
      if (!response.headersSent) {
        sendJson(response, errorResponse(error, { requestId, log }), requestId);
      } else response.destroy();
    }
  });
  // Keep-alive sockets would hold close() open for their idle timeout.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        // A request still in flight gets a moment to finish before its socket is cut.
        const cut = setTimeout(() => server.closeAllConnections(), 1_000);
        server.close((error) => {
          clearTimeout(cut);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
};
