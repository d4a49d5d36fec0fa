/**
 * Bundle size and module-initialisation time of every consumer, built with the very esbuild
 * options the CDK app uses (infra/lib/bundling.ts), each bundle imported in a fresh Node
 * process the way a Lambda cold start loads it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EnvVar, pipeline } from '@pipeline/pipeline';
import { build } from 'esbuild';
import { consumerBundling, esbuildOptions, repoRoot } from '../infra/lib/bundling.js';
import type { Benchmark, Figure } from './figure.js';

const ROUNDS = 7;
// Under the repository, so a bundle built with external modules resolves them from node_modules
// as the runtime resolves its own copies.
const outDir = join(repoRoot, 'test-artifacts', 'bundles');

// Dummy values: the handlers read their environment and build clients at module scope.
const handlerEnv: Record<string, string> = {
  [EnvVar.tableName]: 'bench-main',
  [EnvVar.aggregatesTableName]: 'bench-aggregates',
  [EnvVar.openSearchUrl]: 'https://search.example.com',
  [EnvVar.openSearchSigV4]: 'true',
  [EnvVar.openSearchService]: 'es',
  [EnvVar.archiveBucket]: 'bench-archive',
  [EnvVar.archivePrefix]: 'archive',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'bench',
};

// Times the import alone, inside the child, so process start-up is not counted.
const importScript = (file: string) =>
  `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;

const median = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Median module-initialisation time of a bundle over fresh Node processes, in ms. */
const initMs = (file: string): number => {
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', importScript(file)], {
      env: { PATH: process.env.PATH ?? '', ...handlerEnv },
      encoding: 'utf8',
      // The SDK's Node-version notice goes to stderr; only the timing on stdout matters.
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    samples.push(Number(out));
  }
  return median(samples);
};

const buildBundle = async (
  handler: string,
  name: string,
  external: readonly string[],
): Promise<{ file: string; kb: number }> => {
  const file = join(outDir, name, 'index.mjs');
  await build({ ...esbuildOptions(join(repoRoot, handler), file), external: [...external] });
  return { file, kb: Math.round((statSync(file).size / 1024) * 10) / 10 };
};

/** The benchmark of `npm run bench -- bundles`. */
export const benchmark: Benchmark = {
  title: 'Lambda bundles: minified size and module init',
  async run(): Promise<Figure[]> {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const figures: Figure[] = [];
    let maxKb = 0;
    let maxInit = 0;
    const measured: string[] = [];
    for (const consumer of pipeline) {
      if (!existsSync(join(repoRoot, consumer.handler))) {
        console.warn(
          `bundles: ${consumer.handler} does not exist yet; ${consumer.name} not measured`,
        );
        continue;
      }
      measured.push(consumer.name);
      const bundled = await buildBundle(consumer.handler, consumer.name, consumerBundling.external);
      const sdkExternal = await buildBundle(consumer.handler, `${consumer.name}-sdk-external`, [
        '@aws-sdk/*',
      ]);
      const init = Math.round(initMs(bundled.file) * 10) / 10;
      const externalInit = Math.round(initMs(sdkExternal.file) * 10) / 10;
      maxKb = Math.max(maxKb, bundled.kb);
      maxInit = Math.max(maxInit, init);
      figures.push(
        {
          name: `bundle.${consumer.name}.kb`,
          value: bundled.kb,
          unit: 'KB',
          baseline: { label: 'SDK left to the runtime', value: sdkExternal.kb },
        },
        {
          name: `bundle.${consumer.name}.init_ms`,
          value: init,
          unit: 'ms',
          baseline: { label: 'SDK loaded from node_modules', value: externalInit },
        },
      );
    }
    figures.push(
      {
        name: 'bundle.max_kb',
        value: maxKb,
        unit: 'KB',
        target: '<= 300',
        note: `largest of ${measured.join(', ')}: minified ESM with the SDK v3 clients bundled, as \`cdk synth\` builds it; source maps are separate files`,
      },
      {
        name: 'bundle.max_init_ms',
        value: maxInit,
        unit: 'ms',
        target: '< 150',
        note: `median of ${ROUNDS} fresh Node ${process.version} processes timing \`await import(bundle)\`, with dummy environment`,
      },
    );
    return figures;
  },
};
