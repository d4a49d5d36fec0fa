import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addInto, cellId } from '../src/cells.js';
import { aggregates } from '../src/declarations.js';
import { contributionOf, lifetimePart, planBatch, type SourceChange } from '../src/plan.js';
import { buildTransactions, shardFor } from '../src/transactions.js';
import { MemoryAggregates, order, put, remove, seq, view } from './support.js';

const plan = (changes: SourceChange[], memory = new MemoryAggregates()) =>
  planBatch(changes, {
    declarations: aggregates,
    states: memory.states,
    now: 1_700_000_000,
    replayHorizonSeconds: 3600,
  });

describe('contributions', () => {
  it('counts an order in its status, its creation day and its user, in minor units', () => {
    const contribution = contributionOf(
      aggregates,
      'Order',
      order({ status: 'paid', amount: 1999 }),
    );
    expect(contribution).toEqual(
      new Map([
        [cellId('orders-by-status', 'paid', 'orders'), 1n],
        [cellId('daily-orders', '2024-05-01', 'orders'), 1n],
        [cellId('daily-orders', '2024-05-01', 'revenue#EUR'), 1999n],
        [cellId('user-totals', 'u1', 'orders'), 1n],
        [cellId('user-totals', 'u1', 'spend#EUR'), 1999n],
      ]),
    );
  });

  it('leaves a cancelled order out of revenue and spend but keeps it created', () => {
    const contribution = contributionOf(aggregates, 'Order', order({ status: 'cancelled' }));
    expect(contribution.get(cellId('daily-orders', '2024-05-01', 'orders'))).toBe(1n);
    expect(contribution.has(cellId('daily-orders', '2024-05-01', 'revenue#EUR'))).toBe(false);
  });

  it('refuses a float amount rather than rounding it', () => {
    expect(() => contributionOf(aggregates, 'Order', order({ amount: 0.1 }))).toThrow(
      /integer minor units/,
    );
  });

  it('sums 0.10 + 0.20 as exactly 30 minor units, and sums beyond 2^53 exactly', () => {
    const memory = new MemoryAggregates();
    memory.apply([
      put(order({ orderId: 'a', amount: 10 })),
      put(order({ orderId: 'b', amount: 20 })),
    ]);
    expect(memory.live.get(cellId('daily-orders', '2024-05-01', 'revenue#EUR'))).toBe(30n);
    memory.apply(
      ['c', 'd', 'e'].map((orderId) => put(order({ orderId, amount: Number.MAX_SAFE_INTEGER }))),
    );
    expect(memory.live.get(cellId('daily-orders', '2024-05-01', 'revenue#EUR'))).toBe(
      30n + 3n * BigInt(Number.MAX_SAFE_INTEGER),
    );
  });
});

describe('planBatch', () => {
  it('skips records already applied when a batch is delivered twice', () => {
    const memory = new MemoryAggregates();
    const batch = [put(order()), put(view())];
    memory.apply(batch);
    const again = plan(batch, memory);
    expect(again.items).toEqual([]);
    expect(again.skips.duplicates).toBe(2);
  });

  it('refuses a record older than the applied state', () => {
    const memory = new MemoryAggregates();
    const older = put(order({ status: 'pending' }));
    memory.apply([put(order({ status: 'paid' }), order())]);
    const late = plan([older], memory);
    expect(late.items).toEqual([]);
    expect(late.skips.stale).toBe(1);
  });

  it('coalesces a batch to the newest record per item', () => {
    const pending = order({ status: 'pending' });
    const paid = order({ status: 'paid' });
    const shipped = order({ status: 'shipped' });
    const result = plan([put(pending), put(paid, pending), put(shipped, paid)]);
    expect(result.items).toHaveLength(1);
    expect(result.skips.coalesced).toBe(2);
    expect(result.items[0]?.liveDelta.get(cellId('orders-by-status', 'shipped', 'orders'))).toBe(
      1n,
    );
  });

  it('corrects a lost record with the next one: the delta is against the stored contribution', () => {
    const memory = new MemoryAggregates();
    memory.apply([put(order({ status: 'pending' }))]);
    // The record moving it to paid is lost; shipped arrives.
    memory.apply([put(order({ status: 'shipped' }), order({ status: 'paid' }))]);
    expect(memory.live.get(cellId('orders-by-status', 'pending', 'orders'))).toBeUndefined();
    expect(memory.live.get(cellId('orders-by-status', 'paid', 'orders'))).toBeUndefined();
    expect(memory.live.get(cellId('orders-by-status', 'shipped', 'orders'))).toBe(1n);
  });

  it('withdraws a gauge on removal and keeps lifetime aggregates counted', () => {
    const memory = new MemoryAggregates();
    memory.apply([put(order({ status: 'paid', amount: 500 })), put(view())]);
    memory.apply([remove(order({ status: 'paid', amount: 500 })), remove(view())]);
    const totals = memory.totals();
    expect(totals.get(cellId('orders-by-status', 'paid', 'orders'))).toBeUndefined();
    expect(totals.get(cellId('daily-orders', '2024-05-01', 'revenue#EUR'))).toBe(500n);
    expect(totals.get(cellId('product-views', 'p1', 'views'))).toBe(1n);
    expect(memory.live.get(cellId('product-views', 'p1', 'views'))).toBeUndefined();
  });

  it('does not count a re-created item twice in lifetime aggregates', () => {
    const memory = new MemoryAggregates();
    memory.apply([put(order())]);
    memory.apply([remove(order())]);
    memory.apply([put(order())]);
    expect(memory.totals().get(cellId('user-totals', 'u1', 'orders'))).toBe(1n);
  });

  it('sets a ttl on the state of a removed item only', () => {
    const result = plan([remove(view()), put(order())]);
    expect(result.items.map((item) => item.ttl)).toEqual([1_700_003_600, undefined]);
  });

  it('reports an item whose image an aggregate cannot read, and plans the others', () => {
    const result = plan([put({ ...order({ orderId: 'bad' }), status: 'lost' }), put(view())]);
    expect(result.invalid).toHaveLength(1);
    expect(result.items).toHaveLength(1);
  });
});

describe('buildTransactions', () => {
  const options = { tableName: 'aggregates', generation: 0, declarations: aggregates, seed: '123' };

  it('writes one ADD per distinct counter shard for a whole batch', () => {
    const batch = Array.from({ length: 90 }, (_, index) => put(view({ viewId: `v${index}` })));
    const [transaction, ...rest] = buildTransactions(plan(batch).items, options);
    expect(rest).toEqual([]);
    // 90 views of one product on one day: two counters, each +90, beside the generation check and 90 states.
    expect(transaction?.counterWrites.map((write) => [...write.deltas.values()])).toEqual([
      [90n],
      [90n],
    ]);
    expect(transaction?.transactItems).toHaveLength(1 + 90 + 2);
  });

  it('splits into transactions of at most 100 items, each carrying exactly its own items\u2019 deltas', () => {
    const batch = Array.from({ length: 250 }, (_, index) =>
      put(order({ orderId: `o${index}`, userId: `u${index % 40}`, amount: index })),
    );
    const transactions = buildTransactions(plan(batch).items, options);
    expect(transactions.length).toBeGreaterThan(1);
    for (const transaction of transactions) {
      expect(transaction.transactItems.length).toBeLessThanOrEqual(100);
      const ownRevenue = transaction.items.reduce(
        (sum, item) =>
          sum + (item.liveDelta.get(cellId('daily-orders', '2024-05-01', 'revenue#EUR')) ?? 0n),
        0n,
      );
      const written = transaction.counterWrites
        .find((write) => write.key.PK === 'G0#DAY')
        ?.deltas.get('revenue#EUR');
      expect(written ?? 0n).toBe(ownRevenue);
    }
  });

  it('picks the same shard for a retried batch and spreads different batches', () => {
    expect(shardFor('42', 'product-views', 8)).toBe(shardFor('42', 'product-views', 8));
    const shards = new Set(Array.from({ length: 64 }, () => shardFor(seq(), 'product-views', 8)));
    expect(shards.size).toBe(8);
  });
});

// Records of a few items with their final state known; any delivery with duplicates,
// replays and reordering across batches must end in the aggregates of the final state.
const histories = fc
  .array(
    fc.record({
      kind: fc.constantFrom('order', 'view'),
      steps: fc.array(fc.constantFrom('pending', 'paid', 'shipped', 'cancelled', 'remove'), {
        minLength: 1,
        maxLength: 4,
      }),
      amount: fc.integer({ min: 0, max: 10_000 }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((items) =>
    items.map((item, index) =>
      item.steps.map((step) => {
        const image =
          item.kind === 'order'
            ? order({
                orderId: `o${index}`,
                userId: `u${index % 2}`,
                status: step === 'remove' ? 'paid' : step,
                amount: item.amount,
              })
            : view({ viewId: `v${index}`, productId: `p${index % 3}` });
        return step === 'remove' ? remove(image) : put(image);
      }),
    ),
  );

describe('replay property', () => {
  it('leaves the aggregates equal to one in-order delivery under any duplicates, prefixes and reordering', () => {
    fc.assert(
      fc.property(
        histories,
        fc.array(fc.nat(), { minLength: 1, maxLength: 30 }),
        (items, picks) => {
          const inOrder = new MemoryAggregates();
          for (const records of items) for (const record of records) inOrder.apply([record]);

          const replayed = new MemoryAggregates();
          const all = items.flat();
          // Replay arbitrary prefixes and single records, in any order, then the whole stream once.
          for (const pick of picks) {
            const cut = pick % (all.length + 1);
            replayed.apply(pick % 2 === 0 ? all.slice(0, cut) : all.slice(cut, cut + 1));
          }
          replayed.apply(all);
          replayed.apply(all);

          expect(replayed.live).toEqual(inOrder.live);
          expect(replayed.totals()).toEqual(inOrder.totals());
          // Gauges equal the recomputation from the final images.
          const recomputed = new Map<string, bigint>();
          for (const records of items) {
            const last = records[records.length - 1]!;
            if (last.newImage)
              addInto(recomputed, contributionOf(aggregates, last.entityType, last.newImage));
          }
          expect(replayed.live).toEqual(recomputed);
          const lifetimeOnly = lifetimePart(aggregates, replayed.totals());
          expect(lifetimeOnly.size).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
