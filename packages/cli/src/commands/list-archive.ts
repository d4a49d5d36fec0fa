import { S3Client } from '@aws-sdk/client-s3';
import { type ArchiveQuery, type ArchiveRecord, readArchive } from '@pipeline/archive';
import { EntityType } from '@pipeline/model';
import { EnvVar, s3ClientConfig } from '@pipeline/pipeline';
import { DATA_DIR_USAGE, notSetMessage, parseCommandArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';
import { formatTable, isoSeconds } from '../table.js';

/** Flags shared by `list-archive` and `restore-archive` that choose archived items. */
export const ARCHIVE_SELECTION_OPTIONS = {
  entity: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  pk: { type: 'string' },
  sk: { type: 'string' },
  'sk-begins-with': { type: 'string' },
} as const;

/** Days `list-archive` reads when no day is given: today (UTC) and the six before it. */
export const DEFAULT_ARCHIVE_DAYS = 7;

const ENTITIES: readonly string[] = Object.values(EntityType);

/**
 * Usage lines of the selection flags. A listing defaults to every entity and the last
 * {@link DEFAULT_ARCHIVE_DAYS} days; a restore, which writes, takes no defaults.
 */
export const archiveSelectionUsage = (defaults: boolean): string =>
  `  --entity <type>        ${ENTITIES.join(' | ')} (${defaults ? 'default: every entity' : 'required'})
  --from <YYYY-MM-DD>    first UTC day of removal (${defaults ? `default: --to, or ${DEFAULT_ARCHIVE_DAYS - 1} days before today without --to` : 'required'})
  --to <YYYY-MM-DD>      last UTC day of removal (default: --from${defaults ? ', or today without --from' : ''})
  --pk <PK>              only this partition key
  --sk <SK>              only this sort key
  --sk-begins-with <s>   only sort keys starting with s
${DATA_DIR_USAGE}`;

/** Usage line of the archive's environment. */
export const ARCHIVE_ENV_USAGE = `Environment: ${EnvVar.archiveBucket}, ${EnvVar.archivePrefix} and ${EnvVar.s3Endpoint} come from the running
stack (npm start records them; see --data-dir); against S3 in AWS set them yourself,
${EnvVar.archiveBucket} at least.`;

/** The S3 client the archive commands use: path-style against a local endpoint when set. */
export const archiveS3Client = (env: NodeJS.ProcessEnv = process.env): S3Client =>
  new S3Client(s3ClientConfig(env));

/** Parsed selection flags, as {@link ARCHIVE_SELECTION_OPTIONS} gives them. */
export interface ArchiveSelection {
  readonly entity?: string;
  readonly from?: string;
  readonly to?: string;
  readonly pk?: string;
  readonly sk?: string;
  readonly 'sk-begins-with'?: string;
}

const DAY_MS = 86_400_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const utcDay = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

/**
 * The inclusive range of UTC days a selection names: both ends as given; one end alone is
 * one day; with `defaults` and neither, the last {@link DEFAULT_ARCHIVE_DAYS} days.
 *
 * @example
 * archiveDays({}, { defaults: true, now: Date.parse('2026-03-10T12:00:00Z') })
 * // { from: '2026-03-04', to: '2026-03-10' }
 */
export const archiveDays = (
  selection: Pick<ArchiveSelection, 'from' | 'to'>,
  options: { readonly defaults: boolean; readonly now?: number },
): { from: string; to: string } => {
  for (const flag of ['from', 'to'] as const) {
    const day = selection[flag];
    if (day !== undefined && (!DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))) {
      throw new UsageError(`--${flag} must be a day as YYYY-MM-DD, not ${JSON.stringify(day)}`, {
        flag: `--${flag}`,
      });
    }
  }
  const from = selection.from ?? selection.to;
  if (from) return { from, to: selection.to ?? from };
  if (!options.defaults) throw new UsageError('--from is required', { flag: '--from' });
  const today = options.now ?? Date.now();
  return { from: utcDay(today - (DEFAULT_ARCHIVE_DAYS - 1) * DAY_MS), to: utcDay(today) };
};

/**
 * Turns parsed selection flags and the environment into one archive query per entity
 * chosen: the one `--entity` names, or, with `defaults`, every entity. Without `defaults`
 * `--entity` and `--from` are required.
 */
export const archiveQueriesFrom = (
  values: ArchiveSelection,
  s3: S3Client,
  options: { readonly defaults: boolean; readonly now?: number; readonly env?: NodeJS.ProcessEnv },
): ArchiveQuery[] => {
  const env = options.env ?? process.env;
  const bucket = env[EnvVar.archiveBucket];
  if (!bucket) throw new UsageError(notSetMessage(EnvVar.archiveBucket, env));
  if (values.entity !== undefined && !ENTITIES.includes(values.entity)) {
    throw new UsageError(`--entity must be one of ${ENTITIES.join(', ')}, not ${values.entity}`, {
      flag: '--entity',
    });
  }
  if (values.entity === undefined && !options.defaults) {
    throw new UsageError(`--entity is required: one of ${ENTITIES.join(', ')}`, {
      flag: '--entity',
    });
  }
  const days = archiveDays(values, options);
  return (values.entity === undefined ? ENTITIES : [values.entity]).map((entityType) => ({
    s3,
    bucket,
    prefix: env[EnvVar.archivePrefix] ?? '',
    entityType,
    ...days,
    keyFilter: { PK: values.pk, SK: values.sk, skBeginsWith: values['sk-begins-with'] },
  }));
};

/** Orders archived records by removal time, then partition key, then sort key. */
export const byRemoval = (a: ArchiveRecord, b: ArchiveRecord): number =>
  a.removedAt.localeCompare(b.removedAt) ||
  a.keys.PK.localeCompare(b.keys.PK) ||
  a.keys.SK.localeCompare(b.keys.SK);

/** The rows `list-archive` prints, in {@link byRemoval} order, under a header. */
export const archiveTable = (records: readonly ArchiveRecord[]): string =>
  formatTable(
    ['removedAt', 'expiresAt', 'entity', 'PK', 'SK', 'eventID'],
    [...records]
      .sort(byRemoval)
      .map((record) => [
        isoSeconds(record.removedAt),
        record.expiresAt ? isoSeconds(record.expiresAt) : '-',
        record.entityType,
        record.keys.PK,
        record.keys.SK,
        record.eventID,
      ]),
  );

const usage = `Usage: list-archive [--entity <type>] [--from <YYYY-MM-DD>] [--to <YYYY-MM-DD>] [--json]
Lists archived TTL expiries removed in a range of UTC days, deduplicated by event id, one
row each in order of removal (to the second), under a header, then the count. With no
flags: every entity, the last ${DEFAULT_ARCHIVE_DAYS} days (today, UTC, and the ${DEFAULT_ARCHIVE_DAYS - 1} before).
${archiveSelectionUsage(true)}
  --json                 one JSON object per record on stdout, nothing else (the count goes to stderr)
${ARCHIVE_ENV_USAGE}`;

/** `list-archive`: archived items of a day range, in order of removal, with a count. */
export const listArchiveCommand: Command = {
  name: 'list-archive',
  summary: 'List archived TTL expiries by entity and day range, with a count',
  usage,
  async run(args) {
    const parsed = parseCommandArgs(args, {
      ...ARCHIVE_SELECTION_OPTIONS,
      json: { type: 'boolean' },
    });
    const s3 = archiveS3Client();
    try {
      const queries = archiveQueriesFrom(parsed.values, s3, { defaults: true });
      const bar = createProgressBar('objects');
      const records: ArchiveRecord[] = [];
      let objects = 0;
      let duplicates = 0;
      for (const query of queries) {
        const result = await readArchive(query, () => bar.tick());
        records.push(...result.records);
        objects += result.objects;
        duplicates += result.duplicates;
      }
      bar.finish();
      const { from, to } = queries[0]!;
      const entity = parsed.values.entity ?? 'archived';
      const summary =
        `${records.length} ${entity} item(s) removed ${from}..${to} ` +
        `(${objects} object(s), ${duplicates} duplicate line(s) dropped)\n`;
      if (parsed.values.json) {
        for (const record of records.sort(byRemoval))
          process.stdout.write(`${JSON.stringify(record)}\n`);
        process.stderr.write(summary);
      } else {
        if (records.length > 0) process.stdout.write(`${archiveTable(records)}\n`);
        process.stdout.write(summary);
      }
      return 0;
    } finally {
      s3.destroy();
    }
  },
};
