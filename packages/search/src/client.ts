import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';

/** How to reach OpenSearch. */
export interface SearchClientOptions {
  /** Base URL: the domain endpoint in AWS, the local server's URL locally. */
  readonly node: string;
  /** Sign requests with SigV4 (Amazon OpenSearch Service `es`, or Serverless `aoss`). @default unsigned */
  readonly sigv4?: { readonly region: string; readonly service: 'es' | 'aoss' };
  /** Per-request timeout in milliseconds. @default 30000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Creates an OpenSearch client: signed with the client's own AWS signer (credentials from
 * the default provider chain) when `sigv4` is set, plain otherwise. The library retries
 * bulk items itself, so the transport's own retries are off.
 *
 * @example
 * const client = createSearchClient({ node: 'https://search-x.eu-west-1.es.amazonaws.com', sigv4: { region: 'eu-west-1', service: 'es' } });
 */
export const createSearchClient = (options: SearchClientOptions): Client =>
  new Client({
    node: options.node,
    maxRetries: 0,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    ...(options.sigv4
      ? AwsSigv4Signer({ region: options.sigv4.region, service: options.sigv4.service })
      : {}),
  });
