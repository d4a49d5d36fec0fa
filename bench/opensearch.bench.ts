import { readFileSync } from 'node:fs';
import { Client } from '@opensearch-project/opensearch';
import { resolveEngine, startOpenSearchNode } from '@pipeline/opensearch-local';
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

const PER_REQUEST_SAMPLE = 2_000;

const residentMiB = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

const bulkLines = (index: string, doc: ReturnType<typeof order>): string[] => [
  `{"index":{"_index":"${index}","_id":"${doc.orderId}","version":1,"version_type":"external"}}`,
  JSON.stringify(doc),
];

/**
 * The local OpenSearch node: cold start to green, bulk indexing against one request per
 * document (the baseline, same run), mixed queries at 100k order documents, and the JVM's
 * resident memory.
 */
export const benchmark: Benchmark = {
  title: 'OpenSearch 2.19 (local node)',
  async run(): Promise<Figure[]> {
    // Resolved first, so the cold start counts the JVM and the node, not Maven's first download.
    await resolveEngine();
    const starting = process.hrtime.bigint();
    const node = await startOpenSearchNode();
    const client = new Client({ node: node.url });
    try {
      await client.cluster.health({ wait_for_status: 'green', timeout: '60s' });
      const coldStartSeconds = Number(process.hrtime.bigint() - starting) / 1e9;
      const settings = { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '-1' };
      await client.indices.create({ index: 'orders', body: { settings, mappings } });
      await client.indices.create({ index: 'orders-single', body: { settings, mappings } });
      const docs = Array.from({ length: DOCS }, (_, n) => order(n));

      // Baseline: the same documents, one index request each, as public samples do.
      const singleStarted = process.hrtime.bigint();
      for (const doc of docs.slice(0, PER_REQUEST_SAMPLE)) {
        await client.index({
          index: 'orders-single',
          id: doc.orderId,
          body: doc,
          version: 1,
          version_type: 'external',
        });
      }
      const singleSeconds = Number(process.hrtime.bigint() - singleStarted) / 1e9;

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
        const lines = bulkLines('orders', doc);
        bytes += lines[0]!.length + lines[1]!.length + 2;
        batch.push(...lines);
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
      const round = (n: number, digits = 2) => Number(n.toFixed(digits));
      const bulkPerSecond = Math.round(DOCS / indexSeconds);
      const singlePerSecond = Math.round(PER_REQUEST_SAMPLE / singleSeconds);
      return [
        {
          name: 'opensearch.cold_start_s',
          value: round(coldStartSeconds, 1),
          unit: 's',
          note: `from spawning the JVM (classpath already resolved and cached) to a green cluster, empty data directory, ${node.version}.`,
        },
        {
          name: 'opensearch.bulk_docs_per_s',
          value: bulkPerSecond,
          unit: 'docs/s',
          baseline: {
            label: `one index request per document (${PER_REQUEST_SAMPLE} docs), same run`,
            value: singlePerSecond,
          },
          note: `${DOCS} order documents in ${requests} bulk requests of about ${Math.round(BULK_TARGET_BYTES / 2 ** 20)} MiB through @opensearch-project/opensearch, external versions, refresh off during the load, then one refresh: ${round(bulkPerSecond / singlePerSecond, 1)}× the per-request baseline.`,
        },
        {
          name: 'opensearch.query_p50_ms',
          value: round(percentile(samples, 50)),
          unit: 'ms',
          note: `${QUERIES} mixed queries at ${DOCS} documents, round-trip through the official client: multi_match with boosts, keyword filters with sort, range + sort, terms/sum/date_histogram aggregations, match with search_after, match_phrase_prefix + terms with highlight.`,
        },
        {
          name: 'opensearch.query_p99_ms',
          value: round(percentile(samples, 99)),
          unit: 'ms',
        },
        {
          name: 'opensearch.rss_mb',
          value: round(residentMiB(node.pid), 0),
          unit: 'MiB',
          note: 'resident memory of the OpenSearch JVM (1 GiB heap) after the load and the queries, from /proc; a process of its own, apart from the runner and the API.',
        },
      ];
    } finally {
      await client.close();
      await node.stop();
    }
  },
};
