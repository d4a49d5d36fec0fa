import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { PipelineError } from '@pipeline/errors';
// settings.ts parses with this module, so nothing here reads localSettings at load time.
import { localSettings } from './settings.js';

/** The codes of {@link UsageError}. */
export type UsageErrorCode =
  | 'cli.usage'
  | 'cli.invalidArgument'
  | 'cli.severalInMemoryStacks'
  | 'cli.unknownConsumer';

/** A command line the command cannot run: main prints it with the usage and exits 2. */
export class UsageError extends PipelineError<UsageErrorCode> {
  override readonly name = 'UsageError';
  /** The flag at fault, with its dashes, when one is. */
  readonly flag: string | undefined;
  constructor(
    message: string,
    options: { code?: UsageErrorCode; flag?: string; cause?: unknown } = {},
  ) {
    const { code = 'cli.usage', flag, cause } = options;
    super(code, message, cause === undefined ? {} : { cause });
    this.flag = flag;
  }
}

const DATA_DIR_FLAG: typeof localSettings.dataDirectory.flag = 'data-dir';

/** The flags every command takes, whatever else it declares. */
export const COMMON_OPTIONS = {
  [DATA_DIR_FLAG]: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

type WithCommon<O extends ParseArgsOptionsConfig> = O & typeof COMMON_OPTIONS;

const flagList = (options: ParseArgsOptionsConfig): string =>
  Object.entries(options)
    .map(([name, option]) => `--${name}${option.type === 'string' ? ' <value>' : ''}`)
    .join(', ');

// parseArgs quotes what it refuses first: '--bogus', 'extra', '--data-dir <value>'.
const refusedToken = (message: string): string | undefined => /'([^'\s]+)/.exec(message)?.[1];

/**
 * Parses a command's arguments the one way every command does: `node:util` parseArgs with
 * `strict: true`, the command's flags plus {@link COMMON_OPTIONS}. An unknown flag, a flag
 * missing its value or a stray positional throws {@link UsageError} naming it and listing
 * the valid flags.
 *
 * @example
 * const { values } = parseCommandArgs(args, { segments: { type: 'string' } });
 */
export const parseCommandArgs = <O extends ParseArgsOptionsConfig>(
  args: readonly string[],
  options: O,
) => {
  const all = { ...options, ...COMMON_OPTIONS } as WithCommon<O>;
  try {
    return parseArgs({ args: [...args], options: all, strict: true, allowPositionals: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    const flag = refusedToken(message);
    const what =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown flag ${flag ?? message}`
        : code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument ${flag ?? message}`
          : message.split('\n')[0];
    throw new UsageError(`${what}; valid flags: ${flagList(all)}`, {
      code: 'cli.invalidArgument',
      ...(flag ? { flag } : {}),
      cause: error,
    });
  }
};

/**
 * The data directory a command line names: `--data-dir`, then `PIPELINE_DATA_DIR`, then
 * `.local`. An empty value is the in-memory stack, which keeps nothing on disk. Reads only
 * that flag, so it can run before the command's own strict parse.
 *
 * @example
 * dataDirectoryOf(['--data-dir', '/tmp/stack', '--segments', '8']) // '/tmp/stack'
 */
export const dataDirectoryOf = (
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string => {
  const { flag } = localSettings.dataDirectory;
  const { values } = parseArgs({
    args: [...args],
    options: { [flag]: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const value = values[flag];
  return typeof value === 'string'
    ? value
    : (env[localSettings.dataDirectory.env] ?? localSettings.dataDirectory.default);
};

/**
 * What a command says when a variable it needs is not set: where it looked for a running
 * stack (the data directory's runtime.json, or, for `--data-dir ""`, the registry of
 * in-memory stacks), and what to do.
 *
 * @example
 * notSetMessage('TABLE_NAME') // 'TABLE_NAME is not set, and no running stack was found …'
 */
export const notSetMessage = (variable: string, env: NodeJS.ProcessEnv = process.env): string => {
  const directory = env[localSettings.dataDirectory.env] ?? localSettings.dataDirectory.default;
  const looked = directory
    ? `no running stack was found in ${directory}/ (runtime.json)`
    : 'no in-memory stack is running (`npm start -- --data-dir ""` registers one for the commands run with --data-dir "")';
  return (
    `${variable} is not set, and ${looked}. Start the stack with \`npm start\`, or pass ` +
    `--data-dir <the running stack's data directory>; against AWS, ` +
    `set ${variable} and the other variables listed below yourself.`
  );
};

/** The usage line of `--data-dir`, the same in every command. */
export const DATA_DIR_USAGE =
  '  --data-dir <dir>     the running stack whose engines to use (default PIPELINE_DATA_DIR or .local;\n' +
  '                       "" is the one in-memory stack running)';
