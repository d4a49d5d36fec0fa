import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The repository's .env, as `node --env-file-if-exists` would read it but without its notice
// on stderr when there is none; variables already set in the shell win over the file.
const envFile = fileURLToPath(new URL('../../../.env', import.meta.url));
if (existsSync(envFile)) process.loadEnvFile(envFile);

// Imported once the environment is complete, since some modules read it as they load.
const { runCommandLine } = await import('./cli.js');
process.exitCode = await runCommandLine(process.argv.slice(2));
