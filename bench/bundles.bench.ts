/**
 * Bundle size and module-initialisation time of every deployed function (the mappings'
 * handlers, the API and the search setup) and of each consumer's own entry, built with the
 * very esbuild options the CDK app uses (infra/lib/bundling.ts), each bundle imported in a
 * fresh Node process the way a Lambda cold start loads it. The baseline of each figure is
 * the same entry built without the bundle substitutes (the SDK's whole default credential
 * chain, node:http imported as ESM), measured in the same rounds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mappings, pipeline } from '@pipeline/consumers';
import { EnvVar } from '@pipeline/pipeline';
import { build } from 'esbuild';
import { esbuildOptions, repoRoot } from '../infra/lib/bundling.js';
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

/**
 * Median module-initialisation time of each bundle over fresh Node processes, in ms; the
 * bundles alternate within each round, so a busy machine weighs on all of them alike.
 */
const initMs = (files: readonly string[]): number[] => {
  const samples = files.map((): number[] => []);
  for (let round = 0; round < ROUNDS; round++) {
    files.forEach((file, index) => {
      const out = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', importScript(file)],
        {
          env: { PATH: process.env.PATH ?? '', ...handlerEnv },
          encoding: 'utf8',
          // The SDK's Node-version notice goes to stderr; only the timing on stdout matters.
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      samples[index]!.push(Number(out));
    });
  }
  return samples.map(median);
};

const buildBundle = async (
  handler: string,
  name: string,
  substitutes: boolean,
): Promise<{ file: string; kb: number }> => {
  const file = join(outDir, name, 'index.mjs');
  await build({
    ...esbuildOptions(join(repoRoot, handler), file),
    ...(substitutes ? {} : { alias: {} }),
  });
  return { file, kb: Math.round((statSync(file).size / 1024) * 10) / 10 };
};

// Targets of issue 18: the consumers' own entries and search sync; the others inform.
const KB_TARGETS: Record<string, `<= ${number}`> = {
  'sync-search': '<= 450',
  'update-aggregates': '<= 250',
  'archive-expired': '<= 250',
};

/** Every deployed function's entry, and each consumer's own. */
const entries = (): { name: string; handler: string }[] => {
  const all = [
    ...mappings.map((mapping) => ({ name: mapping.name, handler: mapping.handler })),
    { name: 'api', handler: 'functions/api.ts' },
    { name: 'setup-search', handler: 'functions/setup-search.ts' },
    ...pipeline.map((consumer) => ({ name: consumer.name, handler: consumer.handler })),
  ];
  return all.filter((entry, index) => all.findIndex((e) => e.name === entry.name) === index);
};

/** The benchmark of `npm run bench -- bundles`. */
export const benchmark: Benchmark = {
  title: 'Lambda bundles: minified size and module init',
  async run(): Promise<Figure[]> {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const figures: Figure[] = [];
    const deployed = new Set<string>([...mappings.map((m) => m.name), 'api', 'setup-search']);
    let maxInit = 0;
    for (const entry of entries()) {
      if (!existsSync(join(repoRoot, entry.handler))) {
        console.warn(`bundles: ${entry.handler} does not exist yet; ${entry.name} not measured`);
        continue;
      }
      const bundled = await buildBundle(entry.handler, entry.name, true);
      const plain = await buildBundle(entry.handler, `${entry.name}-plain`, false);
      const [init, plainInit] = initMs([bundled.file, plain.file]).map(
        (ms) => Math.round(ms * 10) / 10,
      ) as [number, number];
      if (deployed.has(entry.name)) maxInit = Math.max(maxInit, init);
      const kbTarget = KB_TARGETS[entry.name];
      figures.push(
        {
          name: `bundle.${entry.name}.kb`,
          value: bundled.kb,
          unit: 'KB',
          ...(kbTarget ? { target: kbTarget } : {}),
          baseline: { label: 'without bundle substitutes', value: plain.kb },
        },
        {
          name: `bundle.${entry.name}.init_ms`,
          value: init,
          unit: 'ms',
          baseline: { label: 'without bundle substitutes', value: plainInit },
        },
      );
    }
    figures.push({
      name: 'bundle.max_init_ms',
      value: maxInit,
      unit: 'ms',
      target: '<= 60',
      note: `largest over the deployed functions (${[...deployed].join(', ')}): median of ${ROUNDS} fresh Node ${process.version} processes timing \`await import(bundle)\` alone, with dummy environment, bundle and baseline alternating in the same rounds`,
    });
    return figures;
  },
};
