import type { Command } from './command.js';
import { backfillSearchCommand } from './commands/backfill-search.js';
import { chaosCommand } from './commands/chaos.js';
import { demoCommand } from './commands/demo.js';
import { listArchiveCommand } from './commands/list-archive.js';
import { purgeSearchMarkersCommand } from './commands/purge-search-markers.js';
import { rebuildAggregatesCommand } from './commands/rebuild-aggregates.js';
import { replayCommand } from './commands/replay.js';
import { restoreArchiveCommand } from './commands/restore-archive.js';
import { startCommand } from './commands/start.js';
import { verifyAggregatesCommand } from './commands/verify-aggregates.js';
import { readRuntimeFile } from './runtime-file.js';
import { localSettings } from './settings.js';

const commands: readonly Command[] = [
  startCommand,
  demoCommand,
  replayCommand,
  backfillSearchCommand,
  purgeSearchMarkersCommand,
  rebuildAggregatesCommand,
  verifyAggregatesCommand,
  listArchiveCommand,
  restoreArchiveCommand,
  chaosCommand,
];

const [name, ...args] = process.argv.slice(2);
const command = commands.find((candidate) => candidate.name === name);
if (!command || args.includes('--help')) {
  if (command) console.log(command.usage);
  else {
    console.log('usage: npm run pipeline -- <command> [flags]\n');
    for (const candidate of commands)
      console.log(`  ${candidate.name.padEnd(20)} ${candidate.summary}`);
  }
  process.exit(command || !name || name === '--help' ? 0 : 2);
}
// Against a running `npm start`, commands reach its engines without any settings: the
// environment it gave its handlers fills in whatever the caller did not set.
const dataDirectory =
  process.env[localSettings.dataDirectory.env] ?? localSettings.dataDirectory.default;
const runtime = command.name === 'start' ? undefined : readRuntimeFile(dataDirectory);
for (const [name, value] of Object.entries(runtime?.environment ?? {})) process.env[name] ??= value;
try {
  process.exitCode = await command.run(args);
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exitCode = 1;
}
