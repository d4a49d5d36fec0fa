import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Benchmark } from './figure.js';

// One area of `npm run bench`, in a process of its own: `node --import tsx bench/area.ts
// <bench file> <figures file>` runs the area's benchmark and writes its title and figures as
// JSON to the figures file, for run.ts to report.
const [file, figuresFile] = process.argv.slice(2);
if (!file || !figuresFile) throw new Error('usage: bench/area.ts <bench file> <figures file>');
const { benchmark } = (await import(pathToFileURL(file).href)) as { benchmark: Benchmark };
const figures = await benchmark.run();
writeFileSync(figuresFile, JSON.stringify({ title: benchmark.title, figures }));
