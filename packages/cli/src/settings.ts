import type { LocalStackSettings } from '@pipeline/local';
import { EnvVar } from '@pipeline/pipeline';
import { parseCommandArgs, UsageError } from './args.js';

/**
 * Every setting of the local pipeline, in one place: the flag, the environment variable
 * and the default. The local engines need none of them.
 */
export const localSettings = {
  dataDirectory: {
    flag: 'data-dir',
    env: 'PIPELINE_DATA_DIR',
    default: '.local',
    help: 'where DynamoDB Local, search, archive, checkpoints and DLQs keep their files',
  },
  dynamodbEndpoint: {
    flag: 'dynamodb-endpoint',
    env: EnvVar.dynamodbEndpoint,
    default: '',
    help: 'use this DynamoDB instead of starting DynamoDB Local',
  },
  openSearchUrl: {
    flag: 'opensearch-url',
    env: EnvVar.openSearchUrl,
    default: '',
    help: 'use this OpenSearch instead of starting the local OpenSearch node',
  },
  tableName: {
    flag: 'table',
    env: EnvVar.tableName,
    default: 'pipeline-main',
    help: 'the main table',
  },
  aggregatesTableName: {
    flag: 'aggregates-table',
    env: EnvVar.aggregatesTableName,
    default: 'pipeline-aggregates',
    help: 'the aggregates table',
  },
  archiveBucket: {
    flag: 'archive-bucket',
    env: EnvVar.archiveBucket,
    default: 'pipeline-archive',
    help: 'the archive bucket',
  },
  archivePrefix: {
    flag: 'archive-prefix',
    env: EnvVar.archivePrefix,
    default: 'expired',
    help: 'the key prefix of archived objects',
  },
  host: {
    flag: 'host',
    env: 'HOST',
    default: '127.0.0.1',
    help: 'the address the HTTP API binds to',
  },
  port: {
    flag: 'port',
    env: 'PORT',
    default: '8080',
    help: 'the HTTP API port (0 picks a free one)',
  },
  handlers: {
    flag: 'handlers',
    env: 'PIPELINE_HANDLERS',
    default: 'bundle',
    help: "bundle: each mapping's deployed esbuild bundle in its own sandboxes (timeout, memory, cold start); in-process: the TypeScript sources, for a debugger",
  },
  logLevel: {
    flag: 'log-level',
    env: 'LOG_LEVEL',
    default: 'warn',
    help: "debug | info | warn | error: the handlers' Powertools log level and which [runner] lines show",
  },
} as const;

/** The values of the `log-level` setting, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** A level of the `log-level` setting. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Checks a `log-level` value, in any case; anything else is a {@link UsageError} naming the
 * valid levels.
 *
 * @example
 * logLevelOf('INFO') // 'info'
 */
export const logLevelOf = (value: string): LogLevel => {
  const level = value.toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(
      `--${localSettings.logLevel.flag} (${localSettings.logLevel.env}) must be one of ${LOG_LEVELS.join(', ')}, not ${JSON.stringify(value)}`,
      { code: 'cli.invalidArgument', flag: `--${localSettings.logLevel.flag}` },
    );
  }
  return level as LogLevel;
};

/** Whether a line at `level` shows when the setting is `threshold`. */
export const logLevelShows = (level: LogLevel, threshold: LogLevel): boolean =>
  LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);

/** The names of {@link localSettings}. */
export type LocalSettingName = keyof typeof localSettings;

/** Resolved local settings: flag, then environment, then default. */
export type ResolvedLocalSettings = Record<LocalSettingName, string>;

/** The flags of {@link localSettings}, as `node:util` parseArgs options. */
export const localSettingOptions = Object.fromEntries(
  Object.values(localSettings).map((setting) => [setting.flag, { type: 'string' as const }]),
) as Record<(typeof localSettings)[LocalSettingName]['flag'], { type: 'string' }>;

/**
 * Reads the local settings from flags and the environment; an unknown flag throws
 * {@link UsageError} naming it.
 *
 * @example
 * const { settings } = resolveLocalSettings(['--port', '0']);
 */
export const resolveLocalSettings = (
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { settings: ResolvedLocalSettings } => {
  const { values } = parseCommandArgs(args, localSettingOptions);
  const flags: Record<string, string | boolean | undefined> = values;
  const settings = Object.fromEntries(
    Object.entries(localSettings).map(([name, setting]) => {
      const flag = flags[setting.flag];
      return [name, typeof flag === 'string' ? flag : (env[setting.env] ?? setting.default)];
    }),
  ) as ResolvedLocalSettings;
  // Refused here, before anything starts, like an unknown flag.
  logLevelOf(settings.logLevel);
  return { settings };
};

/** The settings the local engines take. */
export const toStackSettings = (settings: ResolvedLocalSettings): LocalStackSettings => ({
  ...(settings.dataDirectory ? { dataDirectory: settings.dataDirectory } : {}),
  ...(settings.dynamodbEndpoint ? { dynamodbEndpoint: settings.dynamodbEndpoint } : {}),
  ...(settings.openSearchUrl ? { openSearchUrl: settings.openSearchUrl } : {}),
  tableName: settings.tableName,
  aggregatesTableName: settings.aggregatesTableName,
  archiveBucket: settings.archiveBucket,
  archivePrefix: settings.archivePrefix,
  logLevel: logLevelOf(settings.logLevel),
});

/** The settings as a table for `--help`. */
export const settingsHelp = (): string =>
  Object.values(localSettings)
    .map(
      (setting) =>
        `  --${setting.flag.padEnd(20)} ${setting.env.padEnd(22)} ${(setting.default || '(none)').padEnd(20)} ${setting.help}`,
    )
    .join('\n');
