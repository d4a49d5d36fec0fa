import type { ArchiveRecord } from '@pipeline/archive';
import { describe, expect, it } from 'vitest';
import { dlqEntries, dlqTable } from '../src/commands/dlq.js';
import { archiveDays, archiveTable } from '../src/commands/list-archive.js';
import { mappingArgument, peekQueue } from '../src/failures.js';
import { onFailureMessage } from './support.js';

const archived = (PK: string, removedAt: string): ArchiveRecord => ({
  eventID: `event-${PK}`,
  sequenceNumber: '4000000000000000000001',
  tableName: 'main',
  entityType: 'Session',
  keys: { PK, SK: 'METADATA' },
  expiresAt: '2026-03-01T10:00:00.000Z',
  removedAt,
  image: {},
});

describe('list-archive rows', () => {
  it('come in order of removal, then keys, under a header, to the second', () => {
    const table = archiveTable([
      archived('SESSION#c', '2026-03-01T10:00:09.000Z'),
      archived('SESSION#b', '2026-03-01T10:00:05.000Z'),
      archived('SESSION#a', '2026-03-01T10:00:05.000Z'),
    ]);

    const [header, ...rows] = table.split('\n');
    expect(header).toMatch(/^removedAt\s+expiresAt\s+entity\s+PK\s+SK\s+eventID$/);
    expect(rows.map((row) => row.split(/\s+/).slice(0, 4))).toEqual([
      ['2026-03-01T10:00:05Z', '2026-03-01T10:00:00Z', 'Session', 'SESSION#a'],
      ['2026-03-01T10:00:05Z', '2026-03-01T10:00:00Z', 'Session', 'SESSION#b'],
      ['2026-03-01T10:00:09Z', '2026-03-01T10:00:00Z', 'Session', 'SESSION#c'],
    ]);
  });
});

describe('the days list-archive reads', () => {
  const now = Date.parse('2026-03-10T23:59:59Z');

  it('are the last seven UTC days, today included, when none is given', () => {
    expect(archiveDays({}, { defaults: true, now })).toEqual({
      from: '2026-03-04',
      to: '2026-03-10',
    });
  });

  it('are one day when one end is given, and the range when both are', () => {
    expect(archiveDays({ from: '2026-01-02' }, { defaults: true, now })).toEqual({
      from: '2026-01-02',
      to: '2026-01-02',
    });
    expect(archiveDays({ to: '2026-01-03' }, { defaults: true, now })).toEqual({
      from: '2026-01-03',
      to: '2026-01-03',
    });
    expect(archiveDays({ from: '2026-01-02', to: '2026-01-05' }, { defaults: false })).toEqual({
      from: '2026-01-02',
      to: '2026-01-05',
    });
  });

  it('must be given to a restore, and be days', () => {
    expect(() => archiveDays({}, { defaults: false })).toThrow('--from is required');
    expect(() => archiveDays({ from: '2026-1-2' }, { defaults: true })).toThrow(
      '--from must be a day as YYYY-MM-DD, not "2026-1-2"',
    );
  });
});

describe('dlq rows', () => {
  it('come oldest message first, then by shard and sequence number, under a header', () => {
    const entries = dlqEntries([
      {
        id: 'late',
        body: onFailureMessage({ timestamp: '2026-03-01T12:00:09.500Z', start: '900', end: '901' }),
      },
      {
        id: 'second',
        body: onFailureMessage({
          timestamp: '2026-03-01T12:00:01.000Z',
          start: '1000',
          end: '1004',
          batchSize: 5,
          condition: 'RecordAgeExceeded',
        }),
      },
      {
        id: 'first',
        body: onFailureMessage({ timestamp: '2026-03-01T12:00:01.000Z', start: '999', end: '999' }),
      },
    ]);

    expect(entries.map((entry) => entry.id)).toEqual(['first', 'second', 'late']);
    const [header, ...rows] = dlqTable(entries).split('\n');
    expect(header).toMatch(
      /^time\s+records arrived\s+shard\s+sequence range\s+batch\s+condition\s+id$/,
    );
    expect(rows[1]!.split(/\s+/)).toEqual([
      '2026-03-01T12:00:01Z',
      '2026-03-01T11:59:58Z..2026-03-01T11:59:59Z',
      'shardId-00000001',
      '1000..1004',
      '5',
      'RecordAgeExceeded',
      'second',
    ]);
  });
});

describe('--consumer', () => {
  it('takes a mapping, or a consumer for the mapping that runs it', () => {
    expect(mappingArgument('sync-search').name).toBe('sync-search');
    expect(mappingArgument('archive-expired').name).toBe('aggregates-and-archive');
  });

  it('refuses a missing or unknown name, listing the mappings and the consumers', () => {
    for (const [name, says] of [
      [undefined, '--consumer is required'],
      ['bogus', 'no mapping or consumer is named bogus'],
    ] as const) {
      expect(() => mappingArgument(name)).toThrow(says);
      expect(() => mappingArgument(name)).toThrow(
        'the mappings are sync-search, aggregates-and-archive; the consumers are sync-search, update-aggregates, archive-expired',
      );
    }
  });
});

describe('peeking at an SQS queue', () => {
  const message = (id: string) => ({ MessageId: id, Body: '{}' });

  it('receives with a visibility timeout of 0 until a round brings nothing new', async () => {
    // SQS samples its servers: each round returns some of the queue, repeating some.
    const rounds = [['a', 'b'], ['b', 'c'], ['a'], ['c', 'd']];
    const inputs: unknown[] = [];

    const messages = await peekQueue(async (input) => {
      inputs.push(input);
      return { Messages: (rounds[inputs.length - 1] ?? []).map(message) };
    }, 'https://sqs/queue');

    expect(messages.map((found) => found.MessageId)).toEqual(['a', 'b', 'c']);
    expect(inputs).toHaveLength(3);
    expect(inputs[0]).toMatchObject({ QueueUrl: 'https://sqs/queue', VisibilityTimeout: 0 });
  });

  it('stops after its bound of rounds on a queue that keeps bringing new messages', async () => {
    let round = 0;

    const messages = await peekQueue(
      async () => ({ Messages: [message(`m${round++}`)] }),
      'https://sqs/queue',
      5,
    );

    expect(messages).toHaveLength(5);
  });
});
