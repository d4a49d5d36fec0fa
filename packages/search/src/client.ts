import { Client } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { type SearchClientOptions, transportSettings } from './client-options.js';

export type { SearchClientOptions } from './client-options.js';

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
    ...transportSettings(options),
    ...(options.sigv4
      ? AwsSigv4Signer({ region: options.sigv4.region, service: options.sigv4.service })
      : {}),
  });
