import {
  BatchGetItemCommand,
  type BatchGetItemCommandInput,
  BatchWriteItemCommand,
  type BatchWriteItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { RetriesExhaustedError } from '@pipeline/pipeline';
import { describe, expect, it } from 'vitest';
import { type DynamoDbSender, readStates } from '../src/apply.js';
import { UnprocessedItemsError } from '../src/errors.js';
import { writeAll } from '../src/maintenance.js';

// DynamoDB Local never leaves items unprocessed, so a fake sender injects that fault.
const neverProcessing = () => {
  const sent: string[] = [];
  const client: DynamoDbSender = {
    send: (async (command: unknown) => {
      if (command instanceof BatchGetItemCommand) {
        const input = command.input as BatchGetItemCommandInput;
        sent.push('BatchGetItem');
        return { Responses: {}, UnprocessedKeys: input.RequestItems };
      }
      if (command instanceof BatchWriteItemCommand) {
        const input = command.input as BatchWriteItemCommandInput;
        sent.push('BatchWriteItem');
        return { UnprocessedItems: input.RequestItems };
      }
      throw new Error('unexpected command');
    }) as never,
  };
  return { client, sent };
};

const recordingSleep = () => {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
};

describe('retries of unprocessed batch items', () => {
  it('readStates gives up on keys left unprocessed after the last attempt', async () => {
    const { client, sent } = neverProcessing();
    const { delays, sleep } = recordingSleep();
    const sources = new Map([['USER#u1|PROFILE', { PK: 'USER#u1', SK: 'PROFILE' }]]);
    const failure = await readStates(client, 'aggregates', 0, sources, {
      maxAttempts: 4,
      sleep,
      random: () => 0.999,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect((failure as RetriesExhaustedError).attempts).toBe(4);
    expect((failure as RetriesExhaustedError).cause).toBeInstanceOf(UnprocessedItemsError);
    expect(sent).toEqual(Array(4).fill('BatchGetItem'));
    // The aggregates' defaults: a ceiling of 50 ms doubling each retry.
    expect(delays).toEqual([49, 99, 199]);
  });

  it('writeAll gives up on items left unprocessed after six attempts by default', async () => {
    const { client, sent } = neverProcessing();
    const { delays, sleep } = recordingSleep();
    const failure = await writeAll(client, 'aggregates', [{ PK: { S: 'a' }, SK: { S: 'b' } }], {
      sleep,
      random: () => 0.999,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect(((failure as RetriesExhaustedError).cause as UnprocessedItemsError).operation).toBe(
      'BatchWriteItem',
    );
    expect(sent).toHaveLength(6);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    expect(delays).toEqual([49, 99, 199, 399, 799]);
  });
});
