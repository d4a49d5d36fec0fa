import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_MAX_BODY_BYTES, parseJsonBody } from './body.js';
import { BodyTooLargeError, HostNotAllowedError } from './errors.js';
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
  /**
   * Host names the server answers to, each with the server's port in the Host header
   * (bare when the port is 80). Any other Host is refused with 421, so a page whose own
   * name was re-pointed at this machine (DNS rebinding) cannot call the API.
   * @default {@link LOOPBACK_HOST_NAMES}, plus `host` when it is one address rather than all
   */
  readonly allowedHostNames?: readonly string[];
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

/** The names of this machine's loopback interface, which no DNS answer can re-point elsewhere. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

/** Every Host header value the server accepts: each name with the port, and bare on port 80. */
export const acceptedHostHeaders = (names: readonly string[], port: number): string[] =>
  names.flatMap((name) => {
    const lower = name.toLowerCase();
    return port === 80 ? [lower, `${lower}:80`] : [`${lower}:${port}`];
  });

/** The bound address as a Host names it (`[fe80::1]`), or nothing for a wildcard. */
const boundHostName = (host: string): string[] => {
  if (WILDCARD_ADDRESSES.has(host)) return [];
  return [host.includes(':') && !host.startsWith('[') ? `[${host}]` : host];
};

/**
 * Splits a request target into its path and query exactly as sent: `//healthz` stays a
 * path of two segments instead of becoming a URL whose host is `healthz`.
 */
const splitTarget = (target: string): { path: string; query: URLSearchParams } => {
  const mark = target.indexOf('?');
  return mark < 0
    ? { path: target, query: new URLSearchParams() }
    : { path: target.slice(0, mark), query: new URLSearchParams(target.slice(mark + 1)) };
};

/**
 * Serves the API over node:http on 127.0.0.1, plus the dashboard page and its assets at `/`.
 * Bodies are read with a size limit and must be JSON. Only requests whose Host header
 * names this server on a loopback name are answered (see `allowedHostNames`); HEAD
 * answers as GET without the body. Paths are matched as sent, with no slash merged.
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
  const bindHost = options.host ?? '127.0.0.1';
  const allowedNames = options.allowedHostNames ?? [
    ...LOOPBACK_HOST_NAMES,
    ...boundHostName(bindHost),
  ];
  // Filled once the port is known; no request arrives before the server listens.
  let acceptedHosts = new Set<string>();

  const server = createServer(async (request, response) => {
    const requestId = randomUUID();
    const method = request.method ?? 'GET';
    const url = splitTarget(request.url ?? '/');
    try {
      const host = (request.headers.host ?? '').toLowerCase();
      if (!acceptedHosts.has(host)) {
        request.resume();
        throw new HostNotAllowedError(request.headers.host ?? '', [...acceptedHosts]);
      }
      const asset =
        dashboard && (method === 'GET' || method === 'HEAD')
          ? dashboardAssets[url.path]
          : undefined;
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
        path: url.path,
        query: url.query,
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
    server.listen(options.port ?? 8080, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  acceptedHosts = new Set(acceptedHostHeaders(allowedNames, address.port));
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
