/** The CDK's form of the bundling settings in `@pipeline/pipeline` (`consumerBundling`). */
import { fileURLToPath } from 'node:url';
import {
  esbuildOptions as bundleOptions,
  bundleSubstitutes,
  consumerBundling,
} from '@pipeline/pipeline';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

export { consumerBundling };

/** The repository root, where `functions/` and the lock file live. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** {@link consumerBundling} in the shape `NodejsFunction` takes; never through Docker. */
export const cdkBundlingOptions = (): BundlingOptions => ({
  forceDockerBundling: false,
  target: consumerBundling.target,
  format: OutputFormat.ESM,
  minify: consumerBundling.minify,
  sourceMap: consumerBundling.sourcemap,
  sourcesContent: consumerBundling.sourcesContent,
  mainFields: [...consumerBundling.mainFields],
  banner: consumerBundling.banner,
  bundleAwsSDK: true,
  externalModules: [...consumerBundling.external],
  esbuildArgs: {
    '--alias': Object.entries(bundleSubstitutes()).map(([from, to]) => `${from}=${to}`),
  },
});

/**
 * {@link consumerBundling} as esbuild `build()` options for one entry under the repository
 * root, as the CDK runs it.
 *
 * @example
 * await esbuild.build(esbuildOptions('functions/sync-search.ts', '/tmp/out/index.mjs'));
 */
export const esbuildOptions = (entry: string, outfile: string) =>
  bundleOptions(entry, outfile, repoRoot);
