// The one module of the OpenSearch client that sync-client.ts imports and the library ships
// without a declaration: the symbol its API functions read their ConfigurationError under.
declare module '@opensearch-project/opensearch/api/utils.js' {
  const utils: { readonly kConfigErr: symbol };
  export default utils;
}
