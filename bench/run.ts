import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Benchmark, type Figure, meetsTarget } from './figure.js';

// `npm run bench [-- area ...]` runs every bench/*.bench.ts, or the named areas only.
const benchDir = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace('.bench.ts', '')))
  .sort();

const sections: { title: string; file: string; figures: Figure[] }[] = [];
for (const file of files) {
  const module = (await import(pathToFileURL(join(benchDir, file)).href)) as {
    benchmark: Benchmark;
  };
  console.log(`\n## ${module.benchmark.title} (${file})`);
  const figures = await module.benchmark.run();
  for (const figure of figures) {
    const met = meetsTarget(figure);
    const verdict = met === undefined ? '' : met ? '  [target met]' : '  [TARGET MISSED]';
    const baseline = figure.baseline
      ? `  (baseline ${figure.baseline.label}: ${figure.baseline.value})`
      : '';
    console.log(
      `${figure.name}: ${figure.value} ${figure.unit}${figure.target ? ` target ${figure.target}` : ''}${baseline}${verdict}`,
    );
  }
  sections.push({ title: module.benchmark.title, file, figures });
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`;
const results: Record<string, unknown> = {};
const lines = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench\` on ${new Date().toISOString()}.`,
  '',
  `Machine: ${machine}.`,
  '',
];
for (const section of sections) {
  lines.push(
    `## ${section.title}`,
    '',
    `Command: \`npm run bench -- ${section.file.replace('.bench.ts', '')}\``,
    '',
  );
  lines.push(
    '| figure | value | target | baseline (same run) | verdict |',
    '|---|---|---|---|---|',
  );
  for (const figure of section.figures) {
    const met = meetsTarget(figure);
    lines.push(
      `| \`${figure.name}\` | ${figure.value} ${figure.unit} | ${figure.target ?? '—'} | ${figure.baseline ? `${figure.baseline.label}: ${figure.baseline.value}` : '—'} | ${met === undefined ? 'informative' : met ? 'met' : '**missed**'} |`,
    );
    results[figure.name] = {
      value: figure.value,
      unit: figure.unit,
      target: figure.target ?? null,
      ...(figure.baseline ? { baseline: figure.baseline } : {}),
    };
  }
  const notes = section.figures.filter((figure) => figure.note);
  if (notes.length > 0)
    lines.push('', ...notes.map((figure) => `- \`${figure.name}\`: ${figure.note}`));
  lines.push('');
}
if (wanted.length === 0) {
  writeFileSync(join(benchDir, '..', 'BENCHMARKS.md'), `${lines.join('\n')}\n`);
  writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nWrote BENCHMARKS.md and bench/results.json');
}
