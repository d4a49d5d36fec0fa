import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Figure, meetsTarget } from './figure.js';

// `npm run bench [-- area ...]` runs every bench/*.bench.ts, or the named areas only. Each
// area runs in a fresh Node.js process (bench/area.ts), so that no area inherits another's
// heap, compiled code or leftover timers and sockets: an area's figures are the same whether
// it runs alone or after all the others.
const benchDir = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace('.bench.ts', '')))
  .sort();

const scratch = mkdtempSync(join(tmpdir(), 'bench-'));
const runArea = async (file: string): Promise<{ title: string; figures: Figure[] }> => {
  const figuresFile = join(scratch, `${file}.json`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(benchDir, 'area.ts'), join(benchDir, file), figuresFile],
    { stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`bench/${file} exited with ${code}`);
  return JSON.parse(readFileSync(figuresFile, 'utf8'));
};

const sections: { title: string; file: string; figures: Figure[] }[] = [];
for (const file of files) {
  console.log(`\n## ${file}`);
  const { title, figures } = await runArea(file);
  console.log(`${title}:`);
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
  sections.push({ title, file, figures });
}
rmSync(scratch, { recursive: true, force: true });

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
