import { runCommandLine } from './cli.js';

process.exitCode = await runCommandLine(process.argv.slice(2));
