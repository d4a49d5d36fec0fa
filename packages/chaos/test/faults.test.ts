import {
  GetItemCommand,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDbSender, isRetryable } from '@pipeline/aggregates';
import type { OpenSearchNode } from '@pipeline/opensearch-local';
import { type BulkClient, sendBulk } from '@pipeline/search';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { InjectedFaultError, SearchNodeRestartError } from '../src/errors.js';
import {
  type FaultKind,
  FaultPlan,
  type FaultRates,
  faultKinds,
  operationFaultKinds,
} from '../src/faults.js';
import { faultyDynamoDb, faultySearchClient, wrapHandler } from '../src/inject.js';
import { createRandom, decide, mulberry32 } from '../src/random.js';
import { SearchNodeHarness } from '../src/search-node.js';

const only = (kind: FaultKind): Partial<FaultRates> =>
  Object.fromEntries(faultKinds.map((each) => [each, each === kind ? 1 : 0]));

const record = (pk: string, sequenceNumber: string, eventName = 'INSERT'): DynamoDBRecord => ({
  eventName: eventName as DynamoDBRecord['eventName'],
  dynamodb: { Keys: { PK: { S: pk }, SK: { S: 'X' } }, SequenceNumber: sequenceNumber },
});

const event = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

describe('seeded randomness', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    for (const value of first) expect(value).toBeGreaterThanOrEqual(0);
    for (const value of first) expect(value).toBeLessThan(1);
  });

  it('draws weighted choices in proportion to their weights', () => {
    const random = createRandom(7);
    const counts = { rare: 0, common: 0 };
    for (let n = 0; n < 10_000; n++) counts[random.weighted({ rare: 1, common: 9 })]++;
    expect(counts.rare).toBeGreaterThan(800);
    expect(counts.rare).toBeLessThan(1200);
  });

  it('decides from the seed and the parts alone, whatever the call order', () => {
    const forward = ['a', 'b', 'c'].map((part) => decide(5, part));
    const backward = ['c', 'b', 'a'].map((part) => decide(5, part)).reverse();
    expect(backward).toEqual(forward);
  });
});

describe('FaultPlan', () => {
  it('meets every kind once at its first chance when asked to, then follows the rates', () => {
    const noRates = { search429: 0, search500: 0, searchTimeout: 0 };
    const plan = new FaultPlan(7, noRates, true);

    const drawn = [1, 2, 3, 4].map((n) => plan.draw(['search429', 'search500'], 'bulk', n));
    plan.record('searchTimeout');

    expect(drawn).toEqual(['search429', 'search500', undefined, undefined]);
    expect(plan.draw(['searchTimeout'], 'bulk', 5)).toBeUndefined();
    expect(new FaultPlan(7, noRates).draw(['search429'], 'bulk', 1)).toBeUndefined();
  });

  it('repeats the same fault schedule for the same seed and decision points', () => {
    const draws = (seed: number) => {
      const plan = new FaultPlan(seed, { search429: 0.3, search500: 0.3 });
      return Array.from({ length: 50 }, (_, n) =>
        plan.draw(['search429', 'search500'], 'bulk', n % 7),
      );
    };
    expect(draws(11)).toEqual(draws(11));
    expect(draws(11)).not.toEqual(draws(12));
    expect(new Set(draws(11))).toEqual(new Set(['search429', 'search500', undefined]));
  });

  it('injects nothing once disabled, and counts every kind, zero included', () => {
    const plan = new FaultPlan(1, only('search413'));
    expect(plan.draw(['search413'], 'p')).toBe('search413');
    plan.record('search413');
    plan.enabled = false;
    expect(plan.draw(['search413'], 'p')).toBeUndefined();
    const counts = plan.counts();
    expect(Object.keys(counts).sort()).toEqual([...faultKinds].sort());
    expect(counts.search413).toBe(1);
    expect(counts.poisonRecord).toBe(0);
  });

  it('names a record by item, event and ordinal, and keeps the name when it is redelivered', () => {
    const plan = new FaultPlan(1);
    const first = plan.recordIdentity(record('USER#u1', '100'));
    const second = plan.recordIdentity(record('USER#u1', '200'));
    expect(first).toBe('USER#u1|X|INSERT|0');
    expect(second).toBe('USER#u1|X|INSERT|1');
    expect(plan.recordIdentity(record('USER#u1', '100'))).toBe(first);
  });
});

describe('operationFaultKinds', () => {
  it('offers the search node kill only for a node of the run, from a third of the run on', () => {
    const at = (index: number, canKillSearchNode = true) =>
      operationFaultKinds({ index, ops: 300, canKillSearchNode });
    expect(at(99)).toEqual(['poisonRecord', 'runnerRestart']);
    expect(at(100)).toEqual(['poisonRecord', 'runnerRestart', 'searchNodeKilled']);
    expect(at(299, false)).toEqual(['poisonRecord', 'runnerRestart']);
  });

  it('leaves the draws of the other operation faults as they were without it', () => {
    const rates = { poisonRecord: 0.1, runnerRestart: 0.1, searchNodeKilled: 0.2 };
    const without = new FaultPlan(9, rates);
    const withKill = new FaultPlan(9, rates);
    const drawn = Array.from({ length: 300 }, (_, index) => [
      without.draw(operationFaultKinds({ index, ops: 300, canKillSearchNode: false }), 'op', index),
      withKill.draw(operationFaultKinds({ index, ops: 300, canKillSearchNode: true }), 'op', index),
    ]);
    for (const [before, after] of drawn) if (before) expect(after).toBe(before);
    expect(drawn.some(([, after]) => after === 'searchNodeKilled')).toBe(true);
    expect(drawn.slice(0, 100).some(([, after]) => after === 'searchNodeKilled')).toBe(false);
  });

  it('meets the kill at the first operation that offers it when every kind must occur', () => {
    const plan = new FaultPlan(1, { searchNodeKilled: 0 }, true);
    const first = Array.from({ length: 300 }, (_, index) =>
      plan.draw(operationFaultKinds({ index, ops: 300, canKillSearchNode: true }), 'op', index),
    ).indexOf('searchNodeKilled');
    expect(first).toBe(100);
  });
});

describe('SearchNodeHarness', () => {
  /**
   * A harness over a fake node whose every call is logged and whose restarts finish only
   * when the test calls `finishRestart` (the oldest pending one first).
   */
  const harnessed = ({ failRestarts = false } = {}) => {
    const log: string[] = [];
    const restarts: (() => void)[] = [];
    let pid = 1;
    let running = true;
    const node: OpenSearchNode = {
      url: 'http://127.0.0.1:9200',
      port: 9200,
      get pid() {
        return pid;
      },
      version: '2.19.6',
      dataDirectory: '/tmp/data',
      exited: Promise.resolve(),
      stop: async () => {
        log.push(`stop ${pid}${running ? '' : ' (exited)'}`);
        running = false;
      },
      kill: async () => {
        log.push(`kill ${pid}`);
        running = false;
      },
      restart: () => {
        log.push(`restart ${pid}`);
        return new Promise((resolve, reject) =>
          restarts.push(() => {
            if (failRestarts) return reject(new Error('port in use'));
            pid += 1;
            running = true;
            resolve();
          }),
        );
      },
    };
    return {
      log,
      node,
      searchNode: new SearchNodeHarness(node),
      finishRestart: () => restarts.shift()!(),
    };
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  /** A promise whose resolution the test can look at without awaiting it. */
  const watched = (promise: Promise<unknown>) => {
    let resolved = false;
    const settledPromise = promise.then(() => {
      resolved = true;
    });
    return {
      get resolved() {
        return resolved;
      },
      promise: settledPromise,
    };
  };

  it("kills, restarts in the background, and leaves the restarted JVM to the node's own stop", async () => {
    const { log, node, searchNode, finishRestart } = harnessed();

    await searchNode.kill();
    expect(searchNode.down).toBe(true);
    expect(searchNode.pid).toBe(1);
    const back = watched(searchNode.back());
    await settle();
    expect(back.resolved).toBe(false);
    finishRestart();
    await back.promise;

    expect(searchNode.down).toBe(false);
    expect(searchNode.pid).toBe(2);
    expect(searchNode.outagesMs).toHaveLength(1);
    await searchNode.settled();
    await node.stop();
    expect(log).toEqual(['kill 1', 'restart 1', 'stop 2']);
  });

  it('kills again only once the earlier restart is done, and settles only once the newest is up', async () => {
    const { log, node, searchNode, finishRestart } = harnessed();
    await searchNode.kill();
    const second = searchNode.kill();
    await settle();
    expect(log).toEqual(['kill 1', 'restart 1']);
    finishRestart();
    await second;
    const settled = watched(searchNode.settled());
    await settle();
    expect(log).toEqual(['kill 1', 'restart 1', 'kill 2', 'restart 2']);
    expect(settled.resolved).toBe(false);
    finishRestart();
    await settled.promise;
    await node.stop();
    expect(log.at(-1)).toBe('stop 3');
    expect(searchNode.outagesMs).toHaveLength(2);
  });

  it('reports a node that did not come back, and still settles', async () => {
    const { log, searchNode, finishRestart } = harnessed({ failRestarts: true });
    await searchNode.kill();
    finishRestart();
    await expect(searchNode.back()).rejects.toBeInstanceOf(SearchNodeRestartError);
    await expect(searchNode.kill()).rejects.toThrow(/did not come back.*port in use/);
    await searchNode.settled();
    expect(log).toEqual(['kill 1', 'restart 1']);
  });

  it('settles at once when the node was never killed', async () => {
    const { log, searchNode } = harnessed();
    await searchNode.settled();
    expect(log).toEqual([]);
  });
});

describe('wrapHandler', () => {
  const counting = () => {
    const calls: DynamoDBStreamEvent[] = [];
    return {
      calls,
      handler: async (input: DynamoDBStreamEvent) => {
        calls.push(input);
        return { batchItemFailures: [] };
      },
    };
  };
  const noCrash = { crash: () => true };

  it('throws before the side effect without calling the handler', async () => {
    const plan = new FaultPlan(1, only('handlerThrowBefore'));
    const { calls, handler } = counting();
    const wrapped = wrapHandler('c', handler, plan, noCrash);
    await expect(wrapped(event(record('A#1', '1')))).rejects.toBeInstanceOf(InjectedFaultError);
    expect(calls).toHaveLength(0);
    expect(plan.counts().handlerThrowBefore).toBe(1);
  });

  it('throws after the side effect, once the handler ran', async () => {
    const plan = new FaultPlan(1, only('handlerThrowAfter'));
    const { calls, handler } = counting();
    await expect(
      wrapHandler('c', handler, plan, noCrash)(event(record('A#1', '1'))),
    ).rejects.toThrow(/after its sink write/);
    expect(calls).toHaveLength(1);
  });

  it('delivers the batch twice', async () => {
    const plan = new FaultPlan(1, only('duplicateDelivery'));
    const { calls, handler } = counting();
    const response = await wrapHandler('c', handler, plan, noCrash)(event(record('A#1', '1')));
    expect(calls).toHaveLength(2);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('crashes the runner after the handler returned, and counts it only when the crash took', async () => {
    const plan = new FaultPlan(1, only('crashBeforeCheckpoint'));
    const { calls, handler } = counting();
    const order: string[] = [];
    let accept = true;
    const wrapped = wrapHandler(
      'c',
      async (input) => {
        order.push('handler');
        return handler(input);
      },
      plan,
      {
        crash: () => {
          order.push('crash');
          return accept;
        },
      },
    );
    await wrapped(event(record('A#1', '1')));
    accept = false;
    await wrapped(event(record('A#2', '2')));
    expect(order).toEqual(['handler', 'crash', 'handler', 'crash']);
    expect(calls).toHaveLength(2);
    expect(plan.counts().crashBeforeCheckpoint).toBe(1);
  });

  it('passes batches through untouched when no fault is drawn', async () => {
    const plan = new FaultPlan(1, Object.fromEntries(faultKinds.map((kind) => [kind, 0])));
    const { calls, handler } = counting();
    await wrapHandler('c', handler, plan, noCrash)(event(record('A#1', '1')));
    expect(calls).toHaveLength(1);
    expect(Object.values(plan.counts()).every((count) => count === 0)).toBe(true);
  });
});

describe('faultySearchClient', () => {
  const okBulk = () => {
    let requests = 0;
    const client = {
      bulk: async (params: { body: string }) => {
        requests++;
        const items = params.body
          .split('\n')
          .filter((line) => line.startsWith('{"index"'))
          .map(() => ({ index: { status: 201 } }));
        return { body: { items } };
      },
    } as unknown as BulkClient;
    return { client, requests: () => requests };
  };
  const operation = { index: 'orders-write', id: 'o1', version: 1, source: { orderId: 'o1' } };

  it.each(['search429', 'search500'] as const)(
    'answers %s, which the bulk sender retries until the request lands',
    async (kind) => {
      const plan = new FaultPlan(3, { ...only(kind), [kind]: 0.5 });
      const real = okBulk();
      let retries = 0;
      for (let n = 0; n < 10; n++) {
        const outcome = await sendBulk(
          faultySearchClient(real.client, plan),
          [{ ...operation, id: `o${n}` }],
          { sleep: async () => {}, deadline: Date.now() + 60_000 },
        );
        expect(outcome.failures.size).toBe(0);
        retries += outcome.retries;
      }
      expect(plan.counts()[kind]).toBeGreaterThan(0);
      expect(retries).toBe(plan.counts()[kind]);
      expect(real.requests()).toBe(10);
    },
  );

  it('answers 413, which splits a request of several documents', async () => {
    const plan = new FaultPlan(3, { ...only('search413'), search413: 0.5 });
    const real = okBulk();
    let requests = 0;
    for (let n = 0; n < 10; n++) {
      const outcome = await sendBulk(
        faultySearchClient(real.client, plan),
        [0, 1, 2].map((k) => ({ ...operation, id: `o${n}-${k}` })),
        { sleep: async () => {}, deadline: Date.now() + 60_000 },
      );
      requests += outcome.requests;
    }
    expect(plan.counts().search413).toBeGreaterThan(0);
    // Each refused request of several documents comes back as two smaller ones.
    expect(requests).toBeGreaterThan(10 + plan.counts().search413);
  });

  it('times out after letting some requests through', async () => {
    const plan = new FaultPlan(3, { ...only('searchTimeout'), searchTimeout: 0.6 });
    const real = okBulk();
    const faulty = faultySearchClient(real.client, plan, 1);
    let timeouts = 0;
    for (let n = 0; n < 20; n++) {
      try {
        await faulty.bulk({ body: '{"index":{"_index":"i","_id":"x"}}\n{}\n' } as never);
      } catch (error) {
        expect((error as Error).name).toBe('TimeoutError');
        timeouts++;
      }
    }
    expect(timeouts).toBe(plan.counts().searchTimeout);
    // Some timed-out requests reached the server anyway: the client cannot tell.
    expect(real.requests()).toBeGreaterThan(20 - timeouts);
  });
});

describe('faultyDynamoDb', () => {
  const transaction = new TransactWriteItemsCommand({
    TransactItems: [
      { Put: { TableName: 't', Item: { PK: { S: 'G0#STATE#ORDER#o1' }, SK: { S: 'REF' } } } },
      {
        Update: {
          TableName: 't',
          Key: { PK: { S: 'G0#STATUS' }, SK: { S: 'paid#3' } },
          UpdateExpression: 'ADD n :one',
        },
      },
    ],
  });
  const read = new GetItemCommand({ TableName: 't', Key: { PK: { S: 'a' } } }) as never;
  /** A client that always injects `kind`, over one that records what reaches DynamoDB. */
  const faultyAlways = (kind: FaultKind) => {
    const sent: unknown[] = [];
    const client = { send: async (command: unknown) => sent.push(command) };
    const plan = new FaultPlan(1, only(kind));
    return { sent, faulty: faultyDynamoDb(client as unknown as DynamoDbSender, plan) };
  };

  it('throttles before the request reaches DynamoDB, with an error the consumer retries', async () => {
    const { sent, faulty } = faultyAlways('dynamodbThrottle');
    const error = await faulty.send(transaction).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(isRetryable(error)).toBe(true);
    await expect(faulty.send(read)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(sent).toHaveLength(0);
  });

  it('cancels a transaction with a TransactionConflict, and never a read', async () => {
    const { sent, faulty } = faultyAlways('dynamodbConflict');
    const error = await faulty.send(transaction).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.[0]?.Code).toBe(
      'TransactionConflict',
    );
    expect(isRetryable(error)).toBe(true);
    await faulty.send(read);
    expect(sent).toHaveLength(1);
  });
});
