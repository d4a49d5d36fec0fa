import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { TtlLedgerCorruptError } from '../src/errors.js';
import { LocalTtlProcess } from '../src/ttl-process.js';

const directory = mkdtempSync(join(tmpdir(), 'ttl-ledger-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const now = Date.parse('2026-03-01T12:00:00Z');
const entry = (pk: string, ttl: number) => JSON.stringify([pk, 'METADATA', String(ttl)]);
const line = (state: string, pk: string, ttl: number) =>
  `${JSON.stringify([state, entry(pk, ttl), now - 1000])}\n`;

// Reading the ledger happens in the constructor, before any request: no engine is needed.
const open = (ledgerFile: string, warnings: string[] = []) =>
  new LocalTtlProcess({
    client: {} as DynamoDBClient,
    tableName: 'main',
    attribute: 'ttl',
    keyAttributes: ['PK', 'SK'],
    ledgerFile,
    now: () => now,
    onWarning: (message) => warnings.push(message),
  });

const removeOf = (pk: string, ttl: number): DynamoDBRecord => ({
  eventName: 'REMOVE',
  dynamodb: { OldImage: { PK: { S: pk }, SK: { S: 'METADATA' }, ttl: { N: String(ttl) } } },
});

describe('the TTL ledger after a crash', () => {
  it('drops a torn last line with a warning naming the file, and keeps the rest', () => {
    const file = join(directory, 'torn.jsonl');
    const whole = line('intent', 'SESSION#a', 100) + line('done', 'SESSION#a', 100);
    writeFileSync(file, `${whole}["intent","[\\"SESSION#b`);
    const warnings: string[] = [];

    const ttl = open(file, warnings);

    expect(ttl.expired(removeOf('SESSION#a', 100))).toBe(true);
    expect(ttl.expired(removeOf('SESSION#b', 100))).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${file}: dropped a torn last line 3`);
    // Cut back to the last whole line, so the next append starts a line of its own.
    expect(readFileSync(file, 'utf8')).toBe(whole);
    expect(open(file, warnings).expired(removeOf('SESSION#a', 100))).toBe(true);
    expect(warnings).toHaveLength(1);
  });

  it('remembers when each deletion was made, so a restarted reader can stamp its record', () => {
    const file = join(directory, 'times.jsonl');
    writeFileSync(file, line('intent', 'SESSION#a', 100) + line('done', 'SESSION#a', 100));

    const ttl = open(file);

    expect(ttl.deletedAt(removeOf('SESSION#a', 100))).toBe(now - 1000);
    expect(ttl.deletedAt(removeOf('SESSION#a', 101))).toBeUndefined();
    expect(ttl.ledgerFile).toBe(file);
  });

  it('refuses a corrupt line before the last with a typed error naming file and line', () => {
    const file = join(directory, 'corrupt.jsonl');
    writeFileSync(
      file,
      `${line('intent', 'SESSION#a', 100)}not json\n${line('intent', 'SESSION#c', 100)}`,
    );

    const failure = (() => {
      try {
        open(file);
      } catch (error) {
        return error;
      }
    })();

    expect(failure).toBeInstanceOf(TtlLedgerCorruptError);
    expect(failure).toMatchObject({ code: 'local.ttlLedgerCorrupt', file, line: 2 });
    expect((failure as Error).message).toContain(`${file}:2 is not a TTL ledger entry`);
  });
});
