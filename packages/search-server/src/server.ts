import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Cluster } from './cluster.js';
import { handle } from './http.js';

/** Options for {@link startSearchServer}. */
export interface StartSearchServerOptions {
  /**
   * Port to listen on.
   * @default 0 — a free port
   */
  readonly port?: number;
  /**
   * Directory for a snapshot and journal, so indices, documents, templates and aliases survive a
   * restart.
   * @default undefined — in memory
   */
  readonly dataDirectory?: string;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * How long a delete's version is remembered when an index sets no `index.gc_deletes`.
   * @default 60000
   */
  readonly gcDeletesMs?: number;
  /**
   * Clock for `gc_deletes` and date math (`now-1d`), so tests can move time.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** A running search server. */
export interface SearchServer {
  /** `http://127.0.0.1:<port>`, for `new Client({ node: url })`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, writes the snapshot when persistent. Safe to call twice. */
  stop(): Promise<void>;
}

// Automatic refreshes are checked this often; each index refreshes per its refresh_interval.
const TICK_MS = 100;

/**
 * Starts a local server that speaks the part of the OpenSearch REST API the project uses.
 *
 * @example
 * const server = await startSearchServer();
 * const client = new Client({ node: server.url });
 * await client.indices.create({ index: 'orders' });
 * await server.stop();
 */
export const startSearchServer = async (
  options: StartSearchServerOptions = {},
): Promise<SearchServer> => {
  const cluster = new Cluster({
    ...(options.dataDirectory ? { dataDirectory: options.dataDirectory } : {}),
    gcDeletesMs: options.gcDeletesMs ?? 60_000,
    now: options.now ?? Date.now,
  });
  const server = createServer((request, response) => {
    void handle(cluster, request, response);
  });
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const timer = setInterval(() => cluster.tick(), TICK_MS);
  timer.unref();
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => cluster.saveSnapshot());
      return stopped;
    },
  };
};
