/**
 * The OpenSearch clients of the functions: the library's own Transport, connection pool,
 * serializer and SigV4 signer, with only the API methods a function calls — `bulk`, and
 * `get` for marker versions, in sync-search; `search` in the API. The full `Client` builds
 * every API namespace in its constructor, about 200 KB of a bundle that sends one or two
 * kinds of request. Requests, retries, errors and signing are the library's, byte for byte:
 * the methods are its generated API functions, bound to a Transport built as its `Client`
 * builds one. It lives in a file of its own: esbuild keeps a CommonJS import of a file it keeps.
 */
import { EventEmitter } from 'node:events';
import type { Client } from '@opensearch-project/opensearch';
import bulkApi from '@opensearch-project/opensearch/api/_core/bulk.js';
import getApi from '@opensearch-project/opensearch/api/_core/get.js';
import searchApi from '@opensearch-project/opensearch/api/_core/search.js';
import apiUtils from '@opensearch-project/opensearch/api/utils.js';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import Connection from '@opensearch-project/opensearch/lib/Connection.js';
import errors from '@opensearch-project/opensearch/lib/errors.js';
import pool from '@opensearch-project/opensearch/lib/pool/index.js';
import Serializer from '@opensearch-project/opensearch/lib/Serializer.js';
import Transport from '@opensearch-project/opensearch/lib/Transport.js';
import { type SearchClientOptions, transportSettings } from './client-options.js';

/** The part of the OpenSearch client the sync-search consumer calls. */
export type SyncSearchClient = Pick<Client, 'bulk' | 'get'>;

/** The part of the OpenSearch client the search queries call. */
export type QuerySearchClient = Pick<Client, 'search'>;

// The library's CommonJS modules, typed as what they export (their .d.ts files describe
// ESM default exports that CommonJS does not have).
type ApiFunction = (this: unknown, ...args: unknown[]) => unknown;
const { kConfigErr } = apiUtils;
const { ConnectionPool } = pool as unknown as {
  ConnectionPool: new (options: Record<string, unknown>) => { addConnection(node: string): void };
};
const { ConfigurationError } = errors as unknown as { ConfigurationError: unknown };

/**
 * A Transport as the library's `Client` builds one for these options, and the `this` its
 * generated API functions read: the transport, and the error they throw for a missing
 * parameter.
 */
const apiContext = (options: SearchClientOptions) => {
  const signer = options.sigv4
    ? AwsSigv4Signer({ region: options.sigv4.region, service: options.sigv4.service })
    : undefined;
  const settings = transportSettings(options);
  const events = new EventEmitter();
  const emit = events.emit.bind(events);
  const serializer = new (
    Serializer as unknown as new (
      options: Record<string, unknown>,
    ) => unknown
  )({
    disablePrototypePoisoningProtection: false,
    enableLongNumeralSupport: false,
  });
  // The defaults of the library's Client for everything not set here.
  const connectionPool = new ConnectionPool({
    pingTimeout: 3000,
    resurrectStrategy: 'ping',
    ssl: null,
    agent: null,
    proxy: null,
    Connection: signer?.Connection ?? Connection,
    auth: null,
    emit,
    sniffEnabled: false,
  });
  connectionPool.addConnection(options.node);
  const TransportClass = (signer?.Transport ?? Transport) as unknown as new (
    options: Record<string, unknown>,
  ) => unknown;
  const transport = new TransportClass({
    emit,
    connectionPool,
    serializer,
    maxRetries: settings.maxRetries,
    requestTimeout: settings.requestTimeout,
    sniffInterval: false,
    sniffOnStart: false,
    sniffOnConnectionFault: false,
    sniffEndpoint: '_nodes/_all/http',
    suggestCompression: false,
    compression: false,
    headers: {},
    nodeFilter: null,
    nodeSelector: 'round-robin',
    generateRequestId: null,
    name: 'opensearch-js',
    opaqueIdPrefix: null,
    context: null,
    auth: null,
  });
  return { transport, [kConfigErr]: ConfigurationError };
};

/**
 * Creates the sync-search client: signed with the library's AWS signer (credentials from
 * the default provider chain) when `sigv4` is set, plain otherwise; the same transport
 * settings as {@link createSearchClient}.
 *
 * @example
 * const client = createSyncSearchClient({ node: 'http://localhost:9200' });
 * await client.get({ index: 'users-write', id: 'u1' });
 */
export const createSyncSearchClient = (options: SearchClientOptions): SyncSearchClient => {
  const api = apiContext(options);
  return {
    bulk: (bulkApi as unknown as ApiFunction).bind(api) as SyncSearchClient['bulk'],
    get: (getApi as unknown as ApiFunction).bind(api) as SyncSearchClient['get'],
  };
};

/**
 * Creates the client the search queries run on ({@link searchOrders}, {@link searchUsers}),
 * signed and set up as {@link createSyncSearchClient}'s.
 *
 * @example
 * const result = await searchOrders(createQuerySearchClient({ node }), { text: 'ada' });
 */
export const createQuerySearchClient = (options: SearchClientOptions): QuerySearchClient => ({
  search: (searchApi as unknown as ApiFunction).bind(apiContext(options)) as Client['search'],
});
