import { Client } from '@opensearch-project/opensearch';
import { startSearchServer } from '@pipeline/search-server';
import { type Benchmark, type Figure, percentile } from './figure.js';

const DOCS = 100_000;
const QUERIES = 1_000;
const BULK_TARGET_BYTES = 7 * 1024 * 1024;
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'] as const;
const WORDS = [
  'blue',
  'red',
  'cotton',
  'shirt',
  'dress',
  'linen',
  'wool',
  'jacket',
  'socks',
  'leather',
  'boots',
  'scarf',
  'denim',
  'jeans',
  'silk',
  'tie',
  'summer',
  'winter',
  'classic',
  'slim',
];
const FIRST = [
  'Alice',
  'Bob',
  'Chloé',
  'David',
  'Emma',
  'François',
  'Grace',
  'Hugo',
  'Iris',
  'Jonas',
];
const LAST = [
  'Martin',
  'Bernard',
  'Dubois',
  'Smith',
  'Müller',
  'García',
  'Rossi',
  'Nowak',
  'Silva',
  'Kim',
];
const START = Date.UTC(2024, 0, 1);

// A small deterministic generator, so every run indexes the same documents.
const random = (() => {
  let state = 42;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
})();
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const order = (n: number) => {
  const first = pick(FIRST);
  const last = pick(LAST);
  const items = 1 + Math.floor(random() * 4);
  const createdAt = START + Math.floor(random() * 365 * 86_400_000);
  return {
    orderId: `ord-${n.toString().padStart(7, '0')}`,
    userId: `user-${Math.floor(random() * 5_000)}`,
    status: pick(STATUSES),
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(createdAt + 3_600_000).toISOString(),
    total: {
      amount: 100 + Math.floor(random() * 50_000),
      currency: random() < 0.8 ? 'EUR' : 'USD',
    },
    itemProductIds: Array.from({ length: items }, () => `prod-${Math.floor(random() * 2_000)}`),
    itemNames: Array.from({ length: items }, () => `${pick(WORDS)} ${pick(WORDS)} ${pick(WORDS)}`),
    customerName: `${first} ${last}`,
    customerEmail: `${first.toLowerCase()}.${last.toLowerCase()}${n % 100}@example.com`,
    deleted: false,
    rev: 1,
  };
};

const mappings = {
  dynamic: 'strict',
  properties: {
    orderId: { type: 'keyword' },
    userId: { type: 'keyword' },
    status: { type: 'keyword' },
    createdAt: { type: 'date' },
    updatedAt: { type: 'date' },
    total: { properties: { amount: { type: 'long' }, currency: { type: 'keyword' } } },
    itemProductIds: { type: 'keyword' },
    itemNames: { type: 'text' },
    customerName: { type: 'text', fields: { keyword: { type: 'keyword' } } },
    customerEmail: { type: 'keyword', fields: { text: { type: 'text' } } },
    deleted: { type: 'boolean' },
    rev: { type: 'long' },
  },
} as const;

const queries = (i: number): Record<string, unknown> => {
  const notDeleted = { term: { deleted: false } };
  switch (i % 6) {
    case 0:
      return {
        query: {
          bool: {
            must: [
              {
                multi_match: {
                  query: `${pick(WORDS)} ${pick(WORDS)}`,
                  fields: ['itemNames', 'customerName^3'],
                },
              },
            ],
            filter: [notDeleted],
          },
        },
        size: 20,
      };
    case 1:
      return {
        query: {
          bool: {
            filter: [{ term: { userId: `user-${Math.floor(random() * 5_000)}` } }, notDeleted],
          },
        },
        sort: [{ createdAt: 'desc' }, { orderId: 'asc' }],
        size: 20,
      };
    case 2:
      return {
        query: {
          bool: {
            filter: [
              { term: { status: pick(STATUSES) } },
              { range: { createdAt: { gte: '2024-03-01', lt: '2024-06-01' } } },
            ],
          },
        },
        sort: [{ 'total.amount': 'desc' }, { orderId: 'asc' }],
        size: 20,
        track_total_hits: true,
      };
    case 3:
      return {
        size: 0,
        query: { range: { createdAt: { gte: '2024-01-01', lt: '2025-01-01' } } },
        aggs: {
          byStatus: {
            terms: { field: 'status' },
            aggs: { revenue: { sum: { field: 'total.amount' } } },
          },
          perMonth: { date_histogram: { field: 'createdAt', calendar_interval: 'month' } },
        },
      };
    case 4:
      return {
        query: {
          match: { customerName: { query: `${pick(FIRST)} ${pick(LAST)}`, operator: 'and' } },
        },
        sort: [{ createdAt: 'asc' }, { orderId: 'asc' }],
        search_after: [START + Math.floor(random() * 300) * 86_400_000, 'ord-0000000'],
        size: 20,
      };
    default:
      return {
        query: {
          bool: {
            must: [
              { match_phrase_prefix: { customerName: pick(FIRST).slice(0, 3).toLowerCase() } },
            ],
            filter: [
              {
                terms: {
                  itemProductIds: [
                    `prod-${Math.floor(random() * 2_000)}`,
                    `prod-${Math.floor(random() * 2_000)}`,
                  ],
                },
              },
            ],
          },
        },
        size: 10,
        highlight: { fields: { customerName: {} } },
      };
  }
};

/** Bulk indexing and mixed queries at 100k order documents through the official client. */
export const benchmark: Benchmark = {
  title: 'Local search server',
  async run(): Promise<Figure[]> {
    const server = await startSearchServer();
    const client = new Client({ node: server.url });
    try {
      await client.indices.create({
        index: 'orders',
        body: { settings: { refresh_interval: '-1' }, mappings },
      });
      const docs = Array.from({ length: DOCS }, (_, n) => order(n));
      const started = process.hrtime.bigint();
      // Each document is serialised once into NDJSON and handed to the client as the bulk body.
      let batch: string[] = [];
      let bytes = 0;
      let requests = 0;
      const flush = async () => {
        const response = await client.bulk({ body: `${batch.join('\n')}\n` as never });
        if (response.body.errors) throw new Error('bulk indexing reported item errors');
        batch = [];
        bytes = 0;
        requests++;
      };
      for (const doc of docs) {
        const action = `{"index":{"_index":"orders","_id":"${doc.orderId}","version":1,"version_type":"external"}}`;
        const source = JSON.stringify(doc);
        bytes += action.length + source.length + 2;
        batch.push(action, source);
        if (bytes >= BULK_TARGET_BYTES) await flush();
      }
      if (batch.length > 0) await flush();
      await client.indices.refresh({ index: 'orders' });
      const indexSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const count = (await client.count({ index: 'orders' })).body.count as number;
      if (count !== DOCS) throw new Error(`expected ${DOCS} documents, found ${count}`);

      for (let i = 0; i < 30; i++) await client.search({ index: 'orders', body: queries(i) });
      const samples: number[] = [];
      for (let i = 0; i < QUERIES; i++) {
        const body = queries(i);
        const t0 = process.hrtime.bigint();
        await client.search({ index: 'orders', body });
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      global.gc?.();
      const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
      const round = (n: number, digits = 2) => Number(n.toFixed(digits));
      return [
        {
          name: 'searchserver.index_docs_per_s',
          value: Math.round(DOCS / indexSeconds),
          unit: 'docs/s',
          target: '>= 20000',
          note: `${DOCS} order documents in ${requests} bulk requests of about ${Math.round(BULK_TARGET_BYTES / 2 ** 20)} MiB through @opensearch-project/opensearch, external versions, then one refresh; client and server share one process.`,
        },
        {
          name: 'searchserver.query_p50_ms',
          value: round(percentile(samples, 50)),
          unit: 'ms',
          note: `${QUERIES} mixed queries round-trip through the official client: multi_match with boosts, keyword filters with sort, range + sort, terms/sum/date_histogram aggregations, match with search_after, match_phrase_prefix + terms with highlight.`,
        },
        {
          name: 'searchserver.query_p99_ms',
          value: round(percentile(samples, 99)),
          unit: 'ms',
          target: '< 20',
        },
        {
          name: 'searchserver.heap_mb',
          value: round(heapMb, 0),
          unit: 'MiB',
          note: 'V8 heap used after the run, holding the 100k generated documents and the server index (one process).',
        },
      ];
    } finally {
      await client.close();
      await server.stop();
    }
  },
};
