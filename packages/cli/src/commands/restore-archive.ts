import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_RESTORE_TTL_SECONDS, readArchive, restoreRecords } from '@pipeline/archive';
import { localAwsClientConfig } from '@pipeline/local';
import { EnvVar } from '@pipeline/pipeline';
import { notSetMessage, parseCommandArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { createProgressBar } from '../progress.js';
import {
  ARCHIVE_ENV_USAGE,
  ARCHIVE_SELECTION_OPTIONS,
  archiveQueriesFrom,
  archiveS3Client,
  archiveSelectionUsage,
} from './list-archive.js';

const usage = `Usage: restore-archive --entity <type> --from <YYYY-MM-DD> [--to …] [--ttl-seconds N] [--dry-run]
Puts archived items back into the table. Each is a conditional put that never overwrites a
newer item with the same key; a restored item gets a fresh rev and updatedAt, and a ttl
N seconds ahead so it does not expire again at once. When an item expired more than once
in the range, its latest life is restored. It writes to the table, so unlike list-archive
it has no default selection: name the entity and the first day.
${archiveSelectionUsage(false)}
  --ttl-seconds <N>      new ttl = now + N (default ${DEFAULT_RESTORE_TTL_SECONDS})
  --dry-run              count what would be restored, write nothing
${ARCHIVE_ENV_USAGE} The same goes for ${EnvVar.tableName} and ${EnvVar.dynamodbEndpoint}
(DynamoDB Local's URL; unset against AWS).`;

/** `restore-archive`: archived items back into the table, conditionally. */
export const restoreArchiveCommand: Command = {
  name: 'restore-archive',
  summary: 'Restore archived TTL expiries into the table without overwriting newer items',
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      ...ARCHIVE_SELECTION_OPTIONS,
      'ttl-seconds': { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    const s3 = archiveS3Client();
    const endpoint = process.env[EnvVar.dynamodbEndpoint];
    const dynamodb = new DynamoDBClient(endpoint ? localAwsClientConfig(endpoint) : {});
    try {
      const tableName = process.env[EnvVar.tableName];
      if (!tableName) throw new UsageError(notSetMessage(EnvVar.tableName));
      const ttlSeconds =
        values['ttl-seconds'] === undefined
          ? DEFAULT_RESTORE_TTL_SECONDS
          : Number(values['ttl-seconds']);
      if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
        throw new UsageError('--ttl-seconds must be a positive whole number');
      }
      const [query] = archiveQueriesFrom(values, s3, { defaults: false });
      const { records, duplicates } = await readArchive(query!);
      const bar = createProgressBar(values['dry-run'] ? 'dry run' : 'restore');
      let reported = 0;
      const result = await restoreRecords(records, {
        dynamodb,
        tableName,
        ttlSeconds,
        dryRun: values['dry-run'] === true,
        onProgress: (done, total) => {
          bar.tick(done - reported, total);
          reported = done;
        },
      });
      bar.finish();
      const verb = values['dry-run'] ? 'would restore' : 'restored';
      process.stdout.write(
        `${result.candidates} item(s) chosen from ${records.length} archived record(s) ` +
          `(${duplicates} duplicate line(s) dropped); ${verb} ${values['dry-run'] ? result.candidates : result.restored}, ` +
          `kept ${result.skippedNewer} newer item(s) in the table, ${result.failed.length} failed\n`,
      );
      for (const failure of result.failed.slice(0, 10)) {
        process.stderr.write(
          `failed ${failure.keys.PK} ${failure.keys.SK}: ${(failure.error as Error).message}\n`,
        );
      }
      return result.failed.length === 0 ? 0 : 1;
    } finally {
      s3.destroy();
      dynamodb.destroy();
    }
  },
};
