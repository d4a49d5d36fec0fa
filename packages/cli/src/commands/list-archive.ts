import { S3Client } from '@aws-sdk/client-s3';
import { type ArchiveQuery, readArchive } from '@pipeline/archive';
import { EntityType } from '@pipeline/model';
import { EnvVar, s3ClientConfig } from '@pipeline/pipeline';
import { DATA_DIR_USAGE, notSetMessage, parseCommandArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';

/** Flags shared by `list-archive` and `restore-archive` that choose archived items. */
export const ARCHIVE_SELECTION_OPTIONS = {
  entity: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  pk: { type: 'string' },
  sk: { type: 'string' },
  'sk-begins-with': { type: 'string' },
} as const;

/** Usage lines of the selection flags. */
export const ARCHIVE_SELECTION_USAGE = `  --entity <type>        ${Object.values(EntityType).join(' | ')} (required)
  --from <YYYY-MM-DD>    first UTC day of removal (required)
  --to <YYYY-MM-DD>      last UTC day of removal (default: --from)
  --pk <PK>              only this partition key
  --sk <SK>              only this sort key
  --sk-begins-with <s>   only sort keys starting with s
${DATA_DIR_USAGE}`;

/** Usage line of the archive's environment. */
export const ARCHIVE_ENV_USAGE = `Environment: ${EnvVar.archiveBucket} (required), ${EnvVar.archivePrefix}, ${EnvVar.s3Endpoint} (the local archive's URL)`;

/** The S3 client the archive commands use: path-style against a local endpoint when set. */
export const archiveS3Client = (env: NodeJS.ProcessEnv = process.env): S3Client =>
  new S3Client(s3ClientConfig(env));

/** Turns parsed selection flags and the environment into an archive query. */
export const archiveQueryFrom = (
  values: {
    entity?: string;
    from?: string;
    to?: string;
    pk?: string;
    sk?: string;
    'sk-begins-with'?: string;
  },
  s3: S3Client,
  env: NodeJS.ProcessEnv = process.env,
): ArchiveQuery => {
  const bucket = env[EnvVar.archiveBucket];
  if (!bucket) throw new UsageError(notSetMessage(EnvVar.archiveBucket, env));
  const entities: readonly string[] = Object.values(EntityType);
  if (!values.entity || !entities.includes(values.entity)) {
    throw new UsageError(`--entity must be one of ${entities.join(', ')}`);
  }
  if (!values.from) throw new UsageError('--from is required');
  return {
    s3,
    bucket,
    prefix: env[EnvVar.archivePrefix] ?? '',
    entityType: values.entity,
    from: values.from,
    to: values.to ?? values.from,
    keyFilter: { PK: values.pk, SK: values.sk, skBeginsWith: values['sk-begins-with'] },
  };
};

const usage = `Usage: list-archive --entity <type> --from <YYYY-MM-DD> [--to <YYYY-MM-DD>] [--json]
Lists archived TTL expiries of one entity removed in a range of UTC days, deduplicated by
event id, and prints the count.
${ARCHIVE_SELECTION_USAGE}
  --json                 print each record as a JSON line instead of a table
${ARCHIVE_ENV_USAGE}`;

/** `list-archive`: archived items of one entity and day range, with a count. */
export const listArchiveCommand: Command = {
  name: 'list-archive',
  summary: 'List archived TTL expiries by entity and day range, with a count',
  usage,
  async run(args) {
    const parsed = parseCommandArgs(args, {
      ...ARCHIVE_SELECTION_OPTIONS,
      json: { type: 'boolean' },
    });
    if (parsed.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const s3 = archiveS3Client();
    try {
      const query = archiveQueryFrom(parsed.values, s3);
      const bar = createProgressBar('objects');
      const result = await readArchive(query, () => bar.tick());
      bar.finish();
      for (const record of result.records) {
        process.stdout.write(
          parsed.values.json
            ? `${JSON.stringify(record)}\n`
            : `${record.removedAt}  ${record.keys.PK}  ${record.keys.SK}  ${record.eventID}\n`,
        );
      }
      process.stdout.write(
        `${result.records.length} ${query.entityType} item(s) removed ${query.from}..${query.to} ` +
          `(${result.objects} object(s), ${result.duplicates} duplicate line(s) dropped)\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n${usage}\n`);
        return 2;
      }
      process.stderr.write(`list-archive failed: ${(error as Error).message}\n`);
      return 1;
    } finally {
      s3.destroy();
    }
  },
};
