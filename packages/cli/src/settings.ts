import type { LocalStackSettings } from '@pipeline/local';
import { EnvVar } from '@pipeline/pipeline';
import { parseCommandArgs } from './args.js';

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
} as const;

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
});

/** The settings as a table for `--help`. */
export const settingsHelp = (): string =>
  Object.values(localSettings)
    .map(
      (setting) =>
        `  --${setting.flag.padEnd(20)} ${setting.env.padEnd(22)} ${(setting.default || '(none)').padEnd(20)} ${setting.help}`,
    )
    .join('\n');
