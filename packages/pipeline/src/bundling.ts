/**
 * How every function is bundled, written once: the CDK app, the local runner's sandboxes
 * and the bundle benchmark all derive their esbuild settings from {@link consumerBundling}.
 */
import { fileURLToPath } from 'node:url';

// Module specifiers a bundle resolves to a module of bundle-substitutes/ instead, each file
// saying why. esbuild applies them to every import, dynamic ones included.
const SUBSTITUTES = {
  '@aws-sdk/client-dynamodb': 'client-dynamodb.ts',
  '@aws-sdk/credential-provider-node': 'credential-provider-node.ts',
  '@smithy/core/event-streams': 'smithy-event-streams.ts',
  http: 'node-http.cjs',
  'node:http': 'node-http.cjs',
} as const;

/**
 * The `alias` map of every bundle: module specifier to the absolute path of its substitute.
 *
 * @example
 * await esbuild.build({ entryPoints: ['functions/sync-search.ts'], bundle: true, alias: bundleSubstitutes() });
 */
export const bundleSubstitutes = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(SUBSTITUTES).map(([specifier, file]) => [
      specifier,
      fileURLToPath(new URL(`./bundle-substitutes/${file}`, import.meta.url)),
    ]),
  );

/** The esbuild settings every function bundle is built with. */
export const consumerBundling = {
  /** Matches the Lambda runtime, Node.js 22. */
  target: 'node22',
  format: 'esm',
  minify: true,
  sourcemap: true,
  // The maps carry positions only: the source text would double the asset for no benefit at runtime.
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // Some CommonJS dependencies call require() on Node built-ins, which an ESM bundle lacks.
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // Bundled and tree-shaken, the SDK clients load faster than the runtime's full copies, and
  // their version is the one the tests ran against.
  external: [] as string[],
} as const;

/**
 * {@link consumerBundling} as esbuild `build()` options for one entry, as the CDK runs it.
 *
 * @example
 * await esbuild.build(esbuildOptions('functions/sync-search.ts', '/tmp/out/index.mjs', repoRoot));
 */
export const esbuildOptions = (entry: string, outfile: string, absWorkingDir: string) => ({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node' as const,
  target: consumerBundling.target,
  format: consumerBundling.format,
  minify: consumerBundling.minify,
  sourcemap: consumerBundling.sourcemap,
  sourcesContent: consumerBundling.sourcesContent,
  mainFields: [...consumerBundling.mainFields],
  banner: { js: consumerBundling.banner },
  external: [...consumerBundling.external],
  alias: bundleSubstitutes(),
  absWorkingDir,
  logLevel: 'silent' as const,
});
