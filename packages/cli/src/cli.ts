import { dataDirectoryOf, UsageError } from './args.js';
import type { Command } from './command.js';
import { backfillSearchCommand } from './commands/backfill-search.js';
import { chaosCommand } from './commands/chaos.js';
import { demoCommand } from './commands/demo.js';
import { dlqCommand } from './commands/dlq.js';
import { listArchiveCommand } from './commands/list-archive.js';
import { purgeSearchMarkersCommand } from './commands/purge-search-markers.js';
import { rebuildAggregatesCommand } from './commands/rebuild-aggregates.js';
import { replayCommand } from './commands/replay.js';
import { restoreArchiveCommand } from './commands/restore-archive.js';
import { startCommand } from './commands/start.js';
import { verifyAggregatesCommand } from './commands/verify-aggregates.js';
import { readRuntimeFile } from './runtime-file.js';
import { localSettings } from './settings.js';

/** Every subcommand, in the order `--help` lists them. */
export const commands: readonly Command[] = [
  startCommand,
  demoCommand,
  dlqCommand,
  replayCommand,
  backfillSearchCommand,
  purgeSearchMarkersCommand,
  rebuildAggregatesCommand,
  verifyAggregatesCommand,
  listArchiveCommand,
  restoreArchiveCommand,
  chaosCommand,
];

/**
 * Runs `npm run pipeline -- <command> [flags]`: finds the command, prints usage for
 * `--help`, fills the environment from the running stack of the data directory (or the one
 * in-memory stack, for `--data-dir ""`), and turns a
 * {@link UsageError} into its message, the usage and exit code 2. Resolves to the exit code.
 *
 * @example
 * process.exitCode = await runCommandLine(process.argv.slice(2));
 */
export const runCommandLine = async (argv: readonly string[]): Promise<number> => {
  const [name, ...args] = argv;
  const command = commands.find((candidate) => candidate.name === name);
  if (!command || args.includes('--help') || args.includes('-h')) {
    if (command) console.log(command.usage);
    else {
      if (name && name !== '--help' && name !== '-h') console.error(`unknown command ${name}\n`);
      console.log('usage: npm run pipeline -- <command> [flags]\n');
      for (const candidate of commands)
        console.log(`  ${candidate.name.padEnd(20)} ${candidate.summary}`);
    }
    return command || !name || name === '--help' || name === '-h' ? 0 : 2;
  }
  // One data directory for the whole run, from --data-dir or the environment, so that every
  // part of the command and its messages speak of the same one.
  const dataDirectory = dataDirectoryOf(args);
  process.env[localSettings.dataDirectory.env] = dataDirectory;
  try {
    // Against a running `npm start`, commands reach its engines without any settings: the
    // environment it gave its handlers fills in whatever the caller did not set.
    const runtime = command.name === 'start' ? undefined : readRuntimeFile(dataDirectory);
    for (const [variable, value] of Object.entries(runtime?.environment ?? {}))
      process.env[variable] ??= value;
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${command.name}: ${error.message}\n\n${command.usage}`);
      return 2;
    } else {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      return 1;
    }
  }
};
