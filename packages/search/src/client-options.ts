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
 * The transport settings every search client shares, written once: the library retries bulk
 * items itself, so the transport's own retries are off.
 *
 * @example
 * transportSettings({ node: 'http://localhost:9200' }) // { maxRetries: 0, requestTimeout: 30000 }
 */
export const transportSettings = (options: SearchClientOptions) => ({
  maxRetries: 0,
  requestTimeout: options.requestTimeoutMs ?? 30_000,
});
