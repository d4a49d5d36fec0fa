import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileQueue } from '@pipeline/local';
import { EnvVar } from '@pipeline/pipeline';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataDirectoryOf, parseCommandArgs, UsageError } from '../src/args.js';
import { commands, runCommandLine } from '../src/cli.js';
import { inMemoryRegistry, type RuntimeFile, writeRuntimeFile } from '../src/runtime-file.js';
import { localSettings, logLevelOf, resolveLocalSettings } from '../src/settings.js';
import {
  type CapturedOutput,
  captureOutput,
  isolateEnvironment,
  onFailureMessage,
} from './support.js';

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
  // The queue outlives the stack: an empty one is listed without a running stack.
  dlq: {
    args: ['--consumer', 'sync-search'],
    code: 0,
    says: `0 on-failure message(s) of sync-search in ${emptyDirectory}/runner/dlq/sync-search`,
  },
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
  localSettings.logLevel.env,
  // os.tmpdir() follows it: each test gets a registry of in-memory stacks of its own.
  'TMPDIR',
];
let output: CapturedOutput;
let restore: () => void;

beforeEach(() => {
  restore = isolateEnvironment(variables);
  process.env.TMPDIR = mkdtempSync(join(emptyDirectory, 'tmp-'));
  output = captureOutput();
});

afterEach(() => restore());

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

  it('says what to do when no in-memory stack (--data-dir "") is running', async () => {
    expect(await runCommandLine(['verify-aggregates', '--data-dir', ''])).toBe(2);
    expect(output.stderr).toContain('TABLE_NAME is not set, and no in-memory stack is running');
    expect(output.stderr).toContain('npm start -- --data-dir ""');
    expect(await runCommandLine(['demo', '--data-dir', ''])).toBe(1);
    expect(output.stderr).toContain('pass --api-url');
    expect(await runCommandLine(['dlq', '--consumer', 'sync-search', '--data-dir', ''])).toBe(2);
    expect(output.stderr).toContain('no in-memory stack is running');
  });

  it.each(['replay', 'dlq'])(
    '%s without --consumer, or with an unknown one, lists the valid names and exits 2',
    async (name) => {
      for (const args of [[], ['--consumer', 'bogus']]) {
        output.stderr = '';
        expect(await runCommandLine([name, '--data-dir', emptyDirectory, ...args])).toBe(2);
        expect(output.stderr).toContain(
          'the mappings are sync-search, aggregates-and-archive; the consumers are sync-search, update-aggregates, archive-expired',
        );
      }
      expect(output.stderr).toContain(`${name}: no mapping or consumer is named bogus`);
    },
  );

  it('list-archive needs no flag: it asks only for the archive', async () => {
    expect(await runCommandLine(['list-archive', '--data-dir', emptyDirectory])).toBe(2);
    expect(output.stderr).toContain('ARCHIVE_BUCKET is not set');
    expect(output.stderr).not.toContain('--entity must be');
  });

  it('restore-archive, which writes, wants the entity and the first day named', async () => {
    process.env[EnvVar.archiveBucket] = 'archive';
    process.env[EnvVar.tableName] = 'main';
    expect(await runCommandLine(['restore-archive', '--data-dir', emptyDirectory])).toBe(2);
    expect(output.stderr).toContain('--entity is required: one of User, ');
    expect(await runCommandLine(['restore-archive', '--entity', 'Session'])).toBe(2);
    expect(output.stderr).toContain('--from is required');
  });
});

describe('commands against an in-memory stack (--data-dir "")', () => {
  const base = { dynamodbEndpoint: '', openSearchUrl: '', s3Endpoint: '', environment: {} };
  /** Registers a stack as the process `pid` would. */
  const register = (pid: number, runtime: Partial<RuntimeFile> = {}) => {
    mkdirSync(inMemoryRegistry(), { recursive: true });
    writeFileSync(
      join(inMemoryRegistry(), `${pid}.json`),
      JSON.stringify({ ...base, ...runtime, pid }),
    );
  };

  it('use the one running: its environment and its on-failure queue', async () => {
    const state = mkdtempSync(join(emptyDirectory, 'state-'));
    new FileQueue(join(state, 'dlq', 'sync-search')).send(
      onFailureMessage({ timestamp: '2026-03-01T12:00:01.000Z', start: '1000', end: '1001' }),
    );
    writeRuntimeFile('', {
      ...base,
      pid: process.pid,
      environment: { [EnvVar.tableName]: 'in-memory-main' },
      stateDirectory: state,
    });
    // A stack that died without removing its file does not count.
    register(2 ** 30);

    const code = await runCommandLine([
      'dlq',
      '--consumer',
      'sync-search',
      '--data-dir',
      '',
      '--json',
    ]);

    expect(code).toBe(0);
    expect(process.env[EnvVar.tableName]).toBe('in-memory-main');
    const lines = output.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      shardId: 'shardId-00000001',
      startSequenceNumber: '1000',
      endSequenceNumber: '1001',
      condition: 'RetryAttemptsExhausted',
    });
    expect(output.stderr).toContain('1 on-failure message(s) of sync-search');
  });

  it('refuse to guess between several, listing their PIDs and API URLs', async () => {
    register(process.pid, { apiUrl: 'http://127.0.0.1:8081' });
    // A second live process: the test runner's parent.
    register(process.ppid, { apiUrl: 'http://127.0.0.1:8082' });

    expect(await runCommandLine(['verify-aggregates', '--data-dir', ''])).toBe(2);
    expect(output.stderr).toContain('2 in-memory stacks are running');
    expect(output.stderr).toContain(`pid ${process.pid} (http://127.0.0.1:8081)`);
    expect(output.stderr).toContain(`pid ${process.ppid} (http://127.0.0.1:8082)`);
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

describe('resolveLocalSettings', () => {
  it('takes the flag, then the environment, then the default', () => {
    const env = { PORT: '9000', LOG_LEVEL: 'info', TABLE_NAME: 'from-env' };

    const { settings } = resolveLocalSettings(['--port', '0', '--table=from-flag'], env);

    expect(settings.port).toBe('0');
    expect(settings.tableName).toBe('from-flag');
    expect(settings.logLevel).toBe('info');
    expect(settings.handlers).toBe(localSettings.handlers.default);
    expect(resolveLocalSettings([], {}).settings.logLevel).toBe('warn');
  });

  it('takes a log level in any case and refuses another, naming the valid ones', () => {
    expect(logLevelOf('DEBUG')).toBe('debug');
    expect(resolveLocalSettings(['--log-level', 'Error'], {}).settings.logLevel).toBe('Error');
    for (const [args, env] of [
      [['--log-level', 'verbose'], {}],
      [[], { LOG_LEVEL: 'verbose' }],
    ] as const) {
      expect(() => resolveLocalSettings(args, env)).toThrow(
        '--log-level (LOG_LEVEL) must be one of debug, info, warn, error, not "verbose"',
      );
    }
  });

  it('refuses a bad log level before npm start starts anything, with exit code 2', async () => {
    expect(await runCommandLine(['start', '--log-level', 'loud'])).toBe(2);
    expect(output.stderr).toContain(
      'start: --log-level (LOG_LEVEL) must be one of debug, info, warn, error',
    );
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
