import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvVar } from '@pipeline/pipeline';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dataDirectoryOf, parseCommandArgs, UsageError } from '../src/args.js';
import { commands, runCommandLine } from '../src/cli.js';
import { localSettings, resolveLocalSettings } from '../src/settings.js';

const emptyDirectory = mkdtempSync(join(tmpdir(), 'cli-arguments-'));
afterAll(() => rmSync(emptyDirectory, { recursive: true, force: true }));

const notSet = (variable: string, args: string[] = []) => ({
  args,
  code: 2,
  says: `${variable} is not set, and no running stack was found in ${emptyDirectory}/`,
});

// What each command says once it got past parsing with --data-dir of a directory where no
// stack runs, without reaching any engine.
const afterParsing: Record<string, { args: string[]; code: number; says: string }> = {
  start: { args: ['--port', 'not-a-port'], code: 2, says: 'the port must be a number' },
  demo: { args: [], code: 1, says: `no running pipeline found in ${emptyDirectory}/` },
  replay: {
    args: ['--consumer', 'sync-search'],
    code: 1,
    says: `no local pipeline is running with data directory ${emptyDirectory}`,
  },
  'backfill-search': notSet('TABLE_NAME'),
  'purge-search-markers': notSet('OPENSEARCH_URL'),
  'rebuild-aggregates': notSet('TABLE_NAME'),
  'verify-aggregates': notSet('TABLE_NAME'),
  'list-archive': notSet('ARCHIVE_BUCKET', ['--entity', 'Order', '--from', '2026-01-01']),
  'restore-archive': notSet('TABLE_NAME', ['--entity', 'Order', '--from', '2026-01-01']),
  chaos: { args: ['--ops', '0'], code: 2, says: '--ops' },
};

const variables = [
  ...Object.values(EnvVar),
  localSettings.dataDirectory.env,
  localSettings.port.env,
  localSettings.handlers.env,
];
let saved: Record<string, string | undefined> = {};
let output: { stdout: string; stderr: string };

beforeEach(() => {
  saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
  for (const name of variables) delete process.env[name];
  output = { stdout: '', stderr: '' };
  const write = (stream: 'stdout' | 'stderr') => (chunk: unknown) => {
    output[stream] += `${String(chunk)}\n`;
    return true;
  };
  vi.spyOn(console, 'log').mockImplementation(write('stdout'));
  vi.spyOn(console, 'error').mockImplementation(write('stderr'));
  vi.spyOn(process.stdout, 'write').mockImplementation(write('stdout'));
  vi.spyOn(process.stderr, 'write').mockImplementation(write('stderr'));
});

afterEach(() => {
  vi.restoreAllMocks();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('every command parses its arguments strictly', () => {
  it('covers every command', () => {
    expect(commands.map((command) => command.name).sort()).toEqual(
      Object.keys(afterParsing).sort(),
    );
  });

  it.each(commands.map((command) => command.name))(
    '%s refuses an unknown flag with exit code 2, naming it and the valid flags',
    async (name) => {
      const code = await runCommandLine([name, '--bogus', '1']);
      expect(code).toBe(2);
      expect(output.stderr).toContain(`${name}: unknown flag --bogus; valid flags: `);
      expect(output.stderr).toContain('--data-dir <value>');
      expect(output.stderr).toContain('--help');
    },
  );

  it.each(commands.map((command) => command.name))(
    '%s accepts --data-dir and reads the stack of that directory',
    async (name) => {
      const expected = afterParsing[name]!;
      const code = await runCommandLine([name, '--data-dir', emptyDirectory, ...expected.args]);
      expect(output.stderr).not.toContain('unknown flag');
      expect(`${output.stdout}${output.stderr}`).toContain(expected.says);
      expect(code).toBe(expected.code);
    },
  );

  it.each(commands.map((command) => [command.name, command.usage] as const))(
    '%s --help prints its usage and exits 0',
    async (name, usage) => {
      expect(await runCommandLine([name, '--help'])).toBe(0);
      expect(output.stdout).toContain(usage);
      expect(output.stderr).toBe('');
    },
  );

  it('refuses an unknown command with exit code 2 and lists the commands', async () => {
    expect(await runCommandLine(['strat'])).toBe(2);
    expect(output.stderr).toContain('unknown command strat');
    for (const command of commands) expect(output.stdout).toContain(command.name);
  });

  it('says what to do when an in-memory stack (--data-dir "") recorded nowhere to find it', async () => {
    expect(await runCommandLine(['verify-aggregates', '--data-dir', ''])).toBe(2);
    expect(output.stderr).toContain('TABLE_NAME is not set, and no data directory was given');
    expect(output.stderr).toContain('in-memory stack');
    expect(await runCommandLine(['demo', '--data-dir', ''])).toBe(1);
    expect(output.stderr).toContain('pass --api-url');
  });
});

describe('parseCommandArgs', () => {
  it('throws a UsageError naming the flag', () => {
    const failure = (() => {
      try {
        parseCommandArgs(['--durration', '5'], { duration: { type: 'string' } });
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(UsageError);
    expect(failure).toMatchObject({
      code: 'cli.invalidArgument',
      flag: '--durration',
      message:
        'unknown flag --durration; valid flags: --duration <value>, --data-dir <value>, --help',
    });
  });

  it('refuses a stray positional and a flag without its value', () => {
    expect(() => parseCommandArgs(['extra'], {})).toThrow(/unexpected argument extra/);
    expect(() => parseCommandArgs(['--data-dir'], {})).toThrow(UsageError);
  });

  it('makes the local settings strict too', () => {
    expect(() => resolveLocalSettings(['--bogus'], {})).toThrow(/unknown flag --bogus/);
    expect(resolveLocalSettings(['--port', '0'], {}).settings.port).toBe('0');
  });
});

describe('dataDirectoryOf', () => {
  it('takes --data-dir, then PIPELINE_DATA_DIR, then .local; an empty value is in memory', () => {
    expect(dataDirectoryOf(['--segments', '4', '--data-dir', '/tmp/a'], {})).toBe('/tmp/a');
    expect(dataDirectoryOf(['--data-dir=/tmp/b'], { PIPELINE_DATA_DIR: '/tmp/c' })).toBe('/tmp/b');
    expect(dataDirectoryOf([], { PIPELINE_DATA_DIR: '/tmp/c' })).toBe('/tmp/c');
    expect(dataDirectoryOf([], {})).toBe('.local');
    expect(dataDirectoryOf(['--data-dir', ''], {})).toBe('');
  });
});
