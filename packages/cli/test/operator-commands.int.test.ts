import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { createArchiveConsumer, createS3ObjectStore } from '@pipeline/archive';
import {
  type ArchiveServer,
  FailureBucket,
  localAwsClientConfig,
  startArchiveServer,
} from '@pipeline/local';
import { EntityType, keys } from '@pipeline/model';
import { EnvVar } from '@pipeline/pipeline';
import { streamEvent, ttlRemoveRecord } from '@pipeline/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCommandLine } from '../src/cli.js';
import {
  type CapturedOutput,
  captureOutput,
  isolateEnvironment,
  onFailureMessage,
} from './support.js';

const ARCHIVE = 'archive-cli';
const FAILURES = 'failures-cli';
const STREAM_ARN =
  'arn:aws:dynamodb:us-east-1:000000000000:table/main/stream/2026-01-01T00:00:00.000';
// A data directory where no stack runs: the commands take only the environment.
const noStack = mkdtempSync(join(tmpdir(), 'operator-commands-'));
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let server: ArchiveServer;
let s3: S3Client;
let output: CapturedOutput;
let restore: () => void;

beforeAll(async () => {
  server = await startArchiveServer({ buckets: [ARCHIVE, FAILURES] });
  s3 = new S3Client({ ...localAwsClientConfig(server.endpoint), forcePathStyle: true });
});
afterAll(async () => {
  s3.destroy();
  await server.stop();
  rmSync(noStack, { recursive: true, force: true });
});
beforeEach(() => {
  restore = isolateEnvironment([...Object.values(EnvVar), 'PIPELINE_DATA_DIR']);
  process.env[EnvVar.s3Endpoint] = server.endpoint;
});
afterEach(() => restore());

const run = async (args: readonly string[]) => {
  output = captureOutput();
  try {
    return await runCommandLine([...args, '--data-dir', noStack]);
  } finally {
    vi.restoreAllMocks();
  }
};

describe('list-archive', () => {
  const prefix = `expired-${Date.now()}`;
  // Today, so that the default range (the last seven days) holds them.
  const second = Math.floor(Date.now() / 1000) - 60;
  const session = (id: string) => ({
    ...keys.session(id),
    entityType: EntityType.session,
    sessionId: id,
    ttl: second - 10,
  });
  const view = {
    ...keys.productView('p1', new Date().toISOString(), 'v1'),
    entityType: EntityType.productView,
    ttl: second - 10,
  };

  beforeAll(async () => {
    const archive = createArchiveConsumer({
      objects: createS3ObjectStore({
        ...localAwsClientConfig(server.endpoint),
        forcePathStyle: true,
      }),
      bucket: ARCHIVE,
      prefix,
      logger: silent,
    });
    await archive(
      streamEvent(
        ttlRemoveRecord(session('b'), {
          approximateCreationDateTime: second + 5,
          eventSourceARN: STREAM_ARN,
        }),
        ttlRemoveRecord(view, { approximateCreationDateTime: second, eventSourceARN: STREAM_ARN }),
        ttlRemoveRecord(session('a'), {
          approximateCreationDateTime: second + 5,
          eventSourceARN: STREAM_ARN,
        }),
      ),
    );
  });
  beforeEach(() => {
    process.env[EnvVar.archiveBucket] = ARCHIVE;
    process.env[EnvVar.archivePrefix] = prefix;
  });

  it('lists every entity of the last days with no flag, in order of removal, to the second', async () => {
    expect(await run(['list-archive'])).toBe(0);

    const [header, ...rest] = output.stdout.trim().split('\n');
    expect(header).toMatch(/^removedAt\s+expiresAt\s+entity\s+PK\s+SK\s+eventID$/);
    const removedAt = (offset: number) =>
      new Date((second + offset) * 1000).toISOString().replace('.000Z', 'Z');
    expect(rest.slice(0, 3).map((row) => row.split(/\s+/).slice(0, 4))).toEqual([
      [removedAt(0), removedAt(-10), 'ProductView', view.PK],
      [removedAt(5), removedAt(-10), 'Session', 'SESSION#a'],
      [removedAt(5), removedAt(-10), 'Session', 'SESSION#b'],
    ]);
    expect(rest[3]).toMatch(
      /^3 archived item\(s\) removed \d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2} /,
    );
  });

  it('prints only JSON lines with --json, the count on stderr', async () => {
    expect(await run(['list-archive', '--entity', 'Session', '--json'])).toBe(0);

    const lines = output.stdout.trim().split('\n');
    expect(lines.map((line) => JSON.parse(line).keys.PK)).toEqual(['SESSION#a', 'SESSION#b']);
    expect(output.stderr).toContain('2 Session item(s) removed');
  });
});

describe('dlq --bucket', () => {
  it("lists a mapping's S3 on-failure objects without deleting them", async () => {
    const failures = new FailureBucket({ s3, bucket: FAILURES, mappingId: 'sync-search' });
    await failures.send(
      onFailureMessage({
        timestamp: '2026-03-01T12:00:05.000Z',
        start: '2000',
        end: '2003',
        batchSize: 4,
      }),
    );
    await failures.send(
      onFailureMessage({ timestamp: '2026-03-01T12:00:01.000Z', start: '1000', end: '1001' }),
    );

    expect(await run(['dlq', '--consumer', 'sync-search', '--bucket', FAILURES, '--json'])).toBe(0);

    const lines = output.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.startSequenceNumber, line.batchSize])).toEqual([
      ['1000', 2],
      ['2000', 4],
    ]);
    expect(output.stderr).toContain(`2 on-failure message(s) of sync-search in ${FAILURES}`);
    expect(await failures.list()).toHaveLength(2);
  });
});
