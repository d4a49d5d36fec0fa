import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The project's contract with OpenSearch: every behaviour the pipeline and the query library
// rely on, each stated as OpenSearch documents it (docs.opensearch.org). It runs against the
// run's OpenSearch node, or against the cluster OPENSEARCH_URL names.
const url = inject('opensearchUrl');
const target = process.env.OPENSEARCH_URL ? `OpenSearch at ${url}` : 'the local OpenSearch node';

// Responses are read as plain JSON: the assertions check OpenSearch's wire shape, not the client's typings.
// biome-ignore lint/suspicious/noExplicitAny: response bodies are untyped JSON here
type Json = Record<string, any>;
/** The official client, with its typed request and response shapes relaxed to JSON. */
type LooseClient = Json;
const connect = (node: string): LooseClient => new Client({ node }) as unknown as LooseClient;

let client: LooseClient;
const suffix = Math.random().toString(36).slice(2, 8);
const name = (base: string) => `contract-${base}-${suffix}`;

/** Awaits a request that must fail and returns its status and body. */
const failure = async (request: Promise<unknown>): Promise<{ status: number; body: Json }> => {
  try {
    await request;
  } catch (error) {
    const meta = (error as { meta?: { statusCode: number; body: Json } }).meta;
    if (meta) return { status: meta.statusCode, body: meta.body };
    throw error;
  }
  throw new Error('expected the request to fail');
};

const ids = (response: { body: Json }): string[] =>
  response.body.hits.hits.map((hit: Json) => hit._id);

beforeAll(() => {
  client = connect(url);
});

afterAll(async () => {
  await client.indices.delete({ index: `contract-*-${suffix}` }).catch(() => undefined);
  await client?.close();
});

describe(`contract: cluster, indices, templates and aliases — ${target}`, () => {
  it('reports an OpenSearch distribution that the official client accepts', async () => {
    const info = await client.info();
    expect(info.body.version.distribution).toBe('opensearch');
    expect(info.body.version.number).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('creates, finds, describes and deletes an index', async () => {
    const index = name('lifecycle');
    expect((await client.indices.exists({ index })).body).toBe(false);
    const created = await client.indices.create({
      index,
      body: {
        settings: { number_of_replicas: 0 },
        mappings: { properties: { status: { type: 'keyword' } } },
      },
    });
    expect(created.body).toMatchObject({ acknowledged: true, index });
    expect((await client.indices.exists({ index })).body).toBe(true);
    const described = await client.indices.get({ index });
    expect(described.body[index].mappings.properties.status).toEqual({ type: 'keyword' });
    expect(described.body[index].settings.index.number_of_replicas).toBe('0');
    const again = await failure(client.indices.create({ index }));
    expect(again.status).toBe(400);
    expect(again.body.error.type).toBe('resource_already_exists_exception');
    await client.indices.delete({ index });
    expect((await client.indices.exists({ index })).body).toBe(false);
  });

  it('applies the matching index template and swaps an alias atomically for a blue/green reindex', async () => {
    const template = name('tpl');
    await client.indices.putIndexTemplate({
      name: template,
      body: {
        index_patterns: [`${name('orders')}-*`],
        priority: 50,
        template: {
          mappings: { properties: { status: { type: 'keyword' }, note: { type: 'text' } } },
        },
      },
    });
    const blue = `${name('orders')}-v1`;
    const green = `${name('orders')}-v2`;
    const alias = name('orders-live');
    await client.indices.create({ index: blue, body: { aliases: { [alias]: {} } } });
    await client.indices.create({ index: green });
    expect(
      (await client.indices.getMapping({ index: green })).body[green].mappings.properties.status
        .type,
    ).toBe('keyword');
    await client.index({ index: alias, id: 'a', body: { status: 'old' }, refresh: true });
    await client.index({ index: green, id: 'b', body: { status: 'new' }, refresh: true });
    expect(ids(await client.search({ index: alias }))).toEqual(['a']);

    await client.indices.updateAliases({
      body: { actions: [{ remove: { index: blue, alias } }, { add: { index: green, alias } }] },
    });

    expect(ids(await client.search({ index: alias }))).toEqual(['b']);
    const aliases = await client.indices.getAlias({ name: alias });
    expect(Object.keys(aliases.body)).toEqual([green]);
    const templates = await client.indices.getIndexTemplate({ name: template });
    expect(templates.body.index_templates[0].name).toBe(template);
    await client.indices.deleteIndexTemplate({ name: template });
  });

  it('lists indices with _cat/indices?format=json', async () => {
    const index = name('cat');
    await client.index({ index, id: '1', body: { a: 1 }, refresh: true });
    const rows = (await client.cat.indices({ index, format: 'json' })).body as Json[];
    expect(rows).toEqual([expect.objectContaining({ index, status: 'open', 'docs.count': '1' })]);
  });
});

describe(`contract: documents and versioning — ${target}`, () => {
  const index = name('docs');
  /**
   * Indexes `body` as document `id` at a version the caller gives, checked as `versionType`
   * says (Index document API, version_type).
   */
  const indexAtVersion = (id: string, body: Json, version: number, versionType = 'external') =>
    client.index({ index, id, body, version, version_type: versionType });
  beforeAll(async () => {
    await client.indices.create({
      index,
      body: { mappings: { properties: { n: { type: 'long' }, tag: { type: 'keyword' } } } },
    });
  });

  it('keeps the given version with version_type=external and refuses a lower or equal one with 409', async () => {
    const created = await indexAtVersion('ext', { n: 1 }, 5);
    expect(created.statusCode).toBe(201);
    expect(created.body._version).toBe(5);
    for (const version of [3, 5]) {
      const stale = await failure(indexAtVersion('ext', { n: 2 }, version));
      expect(stale.status).toBe(409);
      expect(stale.body.error.type).toBe('version_conflict_engine_exception');
    }
    // external_gte accepts an equal version.
    const equal = await indexAtVersion('ext', { n: 3 }, 5, 'external_gte');
    expect(equal.body._version).toBe(5);
    expect((await client.get({ index, id: 'ext' })).body._source).toEqual({ n: 3 });
  });

  it('refuses a stale external write that arrives after a delete, while the delete is remembered', async () => {
    await indexAtVersion('del', { n: 1 }, 10);
    const deleted = await client.delete({
      index,
      id: 'del',
      version: 12,
      version_type: 'external',
    });
    expect(deleted.body.result).toBe('deleted');
    const late = await failure(indexAtVersion('del', { n: 0 }, 11));
    expect(late.status).toBe(409);
    const missing = await failure(client.get({ index, id: 'del' }));
    expect(missing.status).toBe(404);
    expect(missing.body.found).toBe(false);
  });

  it('checks if_seq_no and if_primary_term', async () => {
    const first = await client.index({ index, id: 'cas', body: { n: 1 } });
    const { _seq_no, _primary_term } = first.body;
    await client.index({
      index,
      id: 'cas',
      body: { n: 2 },
      if_seq_no: _seq_no,
      if_primary_term: _primary_term,
    });
    const stale = await failure(
      client.index({
        index,
        id: 'cas',
        body: { n: 3 },
        if_seq_no: _seq_no,
        if_primary_term: _primary_term,
      }),
    );
    expect(stale.status).toBe(409);
    expect(stale.body.error.type).toBe('version_conflict_engine_exception');
  });

  it('refuses create when the document exists, and the internal version counts writes', async () => {
    await client.create({ index, id: 'c', body: { n: 1 } });
    const again = await failure(client.create({ index, id: 'c', body: { n: 1 } }));
    expect(again.status).toBe(409);
    const second = await client.index({ index, id: 'c', body: { n: 2 } });
    expect(second.body).toMatchObject({ result: 'updated', _version: 2 });
  });

  it('updates with a partial doc and upserts with doc_as_upsert', async () => {
    await client.index({ index, id: 'u', body: { n: 1, tag: 'a' } });
    await client.update({ index, id: 'u', body: { doc: { tag: 'b' } } });
    expect((await client.get({ index, id: 'u' })).body._source).toEqual({ n: 1, tag: 'b' });
    const missing = await failure(client.update({ index, id: 'none', body: { doc: { n: 1 } } }));
    expect(missing.status).toBe(404);
    expect(missing.body.error.type).toBe('document_missing_exception');
    const upserted = await client.update({
      index,
      id: 'up',
      body: { doc: { n: 7 }, doc_as_upsert: true },
    });
    expect(upserted.body.result).toBe('created');
    // An update that changes nothing is a noop (Update document API, detect_noop).
    const noop = await client.update({ index, id: 'up', body: { doc: { n: 7 } } });
    expect(noop.body.result).toBe('noop');
  });

  it('reads by id in real time but searches only after a refresh', async () => {
    const lazy = name('refresh');
    await client.indices.create({ index: lazy, body: { settings: { refresh_interval: '-1' } } });
    await client.index({ index: lazy, id: '1', body: { tag: 'x' } });
    expect((await client.get({ index: lazy, id: '1' })).body.found).toBe(true);
    expect((await client.count({ index: lazy })).body.count).toBe(0);
    await client.indices.refresh({ index: lazy });
    expect((await client.count({ index: lazy })).body.count).toBe(1);
  });

  it('makes writes searchable by the periodic refresh (index.refresh_interval, 1s by default)', async () => {
    const periodic = name('periodic');
    await client.index({ index: periodic, id: '1', body: { tag: 'x' } });
    const deadline = Date.now() + 5_000;
    let found = 0;
    while (found === 0 && Date.now() < deadline) {
      found = (await client.count({ index: periodic })).body.count;
      if (found === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(found).toBe(1);
  });

  it('deletes what a query matches with _delete_by_query', async () => {
    const purge = name('purge');
    await client.bulk({
      refresh: true,
      body: [
        { index: { _index: purge, _id: 'm1' } },
        { deleted: true },
        { index: { _index: purge, _id: 'keep' } },
        { deleted: false },
      ],
    });
    const response = await client.deleteByQuery({
      index: purge,
      refresh: true,
      body: { query: { term: { deleted: true } } },
    });
    expect(response.body).toMatchObject({ deleted: 1, version_conflicts: 0, failures: [] });
    expect(ids(await client.search({ index: purge }))).toEqual(['keep']);
  });

  it('reports each bulk item, with errors: true when some fail', async () => {
    const bulkIndex = name('bulk');
    await client.indices.create({
      index: bulkIndex,
      body: { mappings: { properties: { n: { type: 'long' } } } },
    });
    await client.index({
      index: bulkIndex,
      id: 'v',
      body: { n: 1 },
      version: 9,
      version_type: 'external',
    });
    const response = await client.bulk({
      refresh: 'wait_for',
      body: [
        { index: { _index: bulkIndex, _id: 'ok' } },
        { n: 1 },
        { index: { _index: bulkIndex, _id: 'v', version: 2, version_type: 'external' } },
        { n: 2 },
        { index: { _index: bulkIndex, _id: 'bad' } },
        { n: 'not a number' },
        { delete: { _index: bulkIndex, _id: 'never-existed' } },
      ],
    });
    expect(response.body.errors).toBe(true);
    const items = response.body.items.map((item: Json) => Object.values(item)[0] as Json);
    expect(items.map((item: Json) => item.status)).toEqual([201, 409, 400, 404]);
    expect(items[1].error.type).toBe('version_conflict_engine_exception');
    expect(items[2].error.type).toBe('mapper_parsing_exception');
    expect(items[3].result).toBe('not_found');
    expect((await client.count({ index: bulkIndex })).body.count).toBe(2);
  });
});

describe(`contract: search semantics — ${target}`, () => {
  const index = name('search');
  const orders = Array.from({ length: 25 }, (_, n) => ({
    orderId: `o-${String(n).padStart(2, '0')}`,
    status: ['paid', 'shipped', 'cancelled'][n % 3],
    createdAt: new Date(Date.UTC(2024, n % 3, 1 + n)).toISOString(),
    total: { amount: 100 * (n + 1), currency: 'EUR' },
    customerName: n === 0 ? 'Blue Shirt Company' : `Customer ${n}`,
    description:
      n === 1 ? 'A blue shirt, with a long description about many other things too' : 'plain',
    tags: n % 2 === 0 ? ['even', 'all'] : ['all'],
    deleted: n === 24,
  }));
  beforeAll(async () => {
    await client.indices.create({
      index,
      body: {
        mappings: {
          dynamic: 'strict',
          properties: {
            orderId: { type: 'keyword' },
            status: { type: 'keyword' },
            createdAt: { type: 'date' },
            total: { properties: { amount: { type: 'long' }, currency: { type: 'keyword' } } },
            customerName: { type: 'text', fields: { keyword: { type: 'keyword' } } },
            description: { type: 'text' },
            tags: { type: 'keyword' },
            deleted: { type: 'boolean' },
          },
        },
      },
    });
    await client.bulk({
      refresh: true,
      body: orders.flatMap((order) => [{ index: { _index: index, _id: order.orderId } }, order]),
    });
  });

  it('analyses text with the standard analyzer: case-insensitive words; keywords stay exact', async () => {
    expect(
      ids(await client.search({ index, body: { query: { match: { customerName: 'SHIRT' } } } })),
    ).toEqual(['o-00']);
    expect(
      ids(
        await client.search({
          index,
          body: { query: { term: { 'customerName.keyword': 'blue shirt company' } } },
        }),
      ),
    ).toEqual([]);
    expect(
      ids(
        await client.search({
          index,
          body: { query: { term: { 'customerName.keyword': 'Blue Shirt Company' } } },
        }),
      ),
    ).toEqual(['o-00']);
    const and = await client.search({
      index,
      body: { query: { match: { customerName: { query: 'blue customer', operator: 'and' } } } },
    });
    expect(ids(and)).toEqual([]);
    const or = await client.search({
      index,
      body: { query: { match: { customerName: 'blue customer' } }, size: 50 },
    });
    expect(ids(or)).toHaveLength(25);
    const prefix = await client.search({
      index,
      body: { query: { match_phrase_prefix: { customerName: 'blue sh' } } },
    });
    expect(ids(prefix)).toEqual(['o-00']);
  });

  it('ranks a name match above a description match (BM25 with a field boost)', async () => {
    const response = await client.search({
      index,
      body: {
        query: { multi_match: { query: 'blue shirt', fields: ['customerName^3', 'description'] } },
      },
    });
    expect(ids(response)).toEqual(['o-00', 'o-01']);
    expect(response.body.hits.hits[0]._score).toBeGreaterThan(response.body.hits.hits[1]._score);
  });

  it('combines bool clauses: must, filter, should with minimum_should_match, must_not', async () => {
    const response = await client.search({
      index,
      body: {
        size: 50,
        query: {
          bool: {
            filter: [{ term: { status: 'paid' } }, { range: { 'total.amount': { gte: 400 } } }],
            must_not: [{ term: { deleted: true } }],
            should: [{ term: { tags: 'even' } }, { ids: { values: ['o-03'] } }],
            minimum_should_match: 1,
          },
        },
      },
    });
    // paid: n % 3 == 0; amount >= 400: n >= 3; even tag or o-03; not deleted (o-24).
    expect(ids(response).sort()).toEqual(['o-03', 'o-06', 'o-12', 'o-18']);
    // Filter context does not score: a bool with only filter clauses gives _score 0 (Query and filter context).
    const filterOnly = await client.search({
      index,
      body: { query: { bool: { filter: { term: { status: 'paid' } } } } },
    });
    expect(filterOnly.body.hits.hits[0]._score).toBe(0);
  });

  it('pages with sort and search_after without gaps or duplicates', async () => {
    const seen: string[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const page = await client.search({
        index,
        body: {
          size: 7,
          sort: [{ createdAt: 'desc' }, { orderId: 'asc' }],
          ...(after ? { search_after: after } : {}),
        },
      });
      const hits = page.body.hits.hits as Json[];
      if (hits.length === 0) break;
      seen.push(...hits.map((hit) => hit._id));
      after = hits[hits.length - 1]!.sort;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    const times = seen.map((id) => orders.find((o) => o.orderId === id)!.createdAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('returns _source includes/excludes, highlights and exact totals', async () => {
    const response = await client.search({
      index,
      body: {
        query: { match: { customerName: 'shirt' } },
        _source: { includes: ['orderId', 'total.*'], excludes: ['total.currency'] },
        highlight: { fields: { customerName: {} } },
        track_total_hits: true,
      },
    });
    const hit = response.body.hits.hits[0];
    expect(hit._source).toEqual({ orderId: 'o-00', total: { amount: 100 } });
    expect(hit.highlight.customerName).toEqual(['Blue <em>Shirt</em> Company']);
    expect(response.body.hits.total).toEqual({ value: 1, relation: 'eq' });
  });

  it('computes terms, metric, date_histogram and range aggregations', async () => {
    const response = await client.search({
      index,
      body: {
        size: 0,
        aggs: {
          byStatus: {
            terms: { field: 'status' },
            aggs: { revenue: { sum: { field: 'total.amount' } } },
          },
          total: { sum: { field: 'total.amount' } },
          average: { avg: { field: 'total.amount' } },
          smallest: { min: { field: 'total.amount' } },
          largest: { max: { field: 'total.amount' } },
          tagged: { value_count: { field: 'tags' } },
          perMonth: { date_histogram: { field: 'createdAt', calendar_interval: 'month' } },
          bands: {
            range: {
              field: 'total.amount',
              ranges: [{ to: 1000 }, { from: 1000, to: 2000 }, { from: 2000 }],
            },
          },
        },
      },
    });
    const aggs = response.body.aggregations;
    const amounts = orders.map((o) => o.total.amount);
    const paidRevenue = orders
      .filter((o) => o.status === 'paid')
      .reduce((sum, o) => sum + o.total.amount, 0);
    expect(aggs.byStatus.buckets[0]).toEqual({
      key: 'paid',
      doc_count: 9,
      revenue: { value: paidRevenue },
    });
    expect(aggs.byStatus.buckets.map((b: Json) => b.doc_count)).toEqual([9, 8, 8]);
    expect(aggs.total.value).toBe(amounts.reduce((a, b) => a + b, 0));
    expect(aggs.average.value).toBe(1300);
    expect(aggs.smallest.value).toBe(100);
    expect(aggs.largest.value).toBe(2500);
    expect(aggs.tagged.value).toBe(25 + 13);
    expect(aggs.perMonth.buckets.map((b: Json) => [b.key_as_string, b.doc_count])).toEqual([
      ['2024-01-01T00:00:00.000Z', 9],
      ['2024-02-01T00:00:00.000Z', 8],
      ['2024-03-01T00:00:00.000Z', 8],
    ]);
    expect(aggs.bands.buckets).toEqual([
      { key: '*-1000.0', to: 1000, doc_count: 9 },
      { key: '1000.0-2000.0', from: 1000, to: 2000, doc_count: 10 },
      { key: '2000.0-*', from: 2000, doc_count: 6 },
    ]);
  });

  it('answers _count with a query', async () => {
    expect(
      (await client.count({ index, body: { query: { term: { status: 'shipped' } } } })).body.count,
    ).toBe(8);
  });
});

describe(`contract: error shapes — ${target}`, () => {
  it('answers an unknown index with 404 index_not_found_exception', async () => {
    const response = await failure(client.search({ index: name('missing') }));
    expect(response.status).toBe(404);
    expect(response.body.error.type).toBe('index_not_found_exception');
    expect(response.body.error.root_cause[0].type).toBe('index_not_found_exception');
    expect(response.body.status).toBe(404);
  });

  it('answers an unknown query type with 400 naming it', async () => {
    const response = await failure(client.search({ body: { query: { no_such_query: {} } } }));
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body.error)).toContain('no_such_query');
  });

  it('answers a wrong field type with 400 mapper_parsing_exception', async () => {
    const index = name('types');
    await client.indices.create({
      index,
      body: { mappings: { properties: { n: { type: 'long' } } } },
    });
    const response = await failure(client.index({ index, body: { n: 'abc' } }));
    expect(response.status).toBe(400);
    expect(response.body.error.type).toBe('mapper_parsing_exception');
  });

  it('refuses unmapped fields under dynamic: strict', async () => {
    const index = name('strict');
    await client.indices.create({
      index,
      body: { mappings: { dynamic: 'strict', properties: { a: { type: 'keyword' } } } },
    });
    const response = await failure(client.index({ index, body: { b: 1 } }));
    expect(response.status).toBe(400);
    expect(response.body.error.type).toBe('strict_dynamic_mapping_exception');
  });

  it("answers malformed JSON with 400, an unreadable bulk action line with 400, and a malformed bulk source as that item's 400", async () => {
    const json = await failure(
      client.transport.request({ method: 'POST', path: '/_search', body: '{"query": ' }),
    );
    expect(json.status).toBe(400);
    const action = await failure(
      client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: 'nonsense\n{}\n' }),
    );
    expect(action.status).toBe(400);
    expect(action.body.error.type).toBe('json_parse_exception');
    const source = await client.transport.request({
      method: 'POST',
      path: '/_bulk',
      bulkBody: `${JSON.stringify({ index: { _index: name('ndjson') } })}\n{"a":\n`,
    });
    expect(source.body.errors).toBe(true);
    expect(source.body.items[0].index).toMatchObject({
      status: 400,
      error: { type: 'mapper_parsing_exception' },
    });
  });

  it('answers an unknown parameter with 400', async () => {
    const response = await failure(
      client.transport.request({
        method: 'GET',
        path: '/_search',
        querystring: { not_a_param: 'x' },
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error.reason).toContain('not_a_param');
  });
});

describe(`contract: forgetting deletes — ${target}`, () => {
  it('forgets a delete once index.gc_deletes has passed, so a stale external write then succeeds', async () => {
    const index = name('gc');
    await client.indices.create({
      index,
      body: { settings: { number_of_replicas: 0, 'index.gc_deletes': '1s' } },
    });
    const write = (version: number) =>
      client.index({ index, id: '1', body: { v: version }, version, version_type: 'external' });
    await write(2);
    await client.delete({ index, id: '1', version: 3, version_type: 'external' });
    expect((await failure(write(1))).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // A refresh is when the engine prunes delete tombstones older than gc_deletes.
    await client.indices.refresh({ index });
    const revived = await write(1);
    expect(revived.statusCode).toBe(201);
  });
});

describe.runIf(!process.env.OPENSEARCH_URL)('contract: the local node', () => {
  it('answers a body over 10 MiB with 413, as the smaller Amazon OpenSearch Service instances do, and keeps serving', async () => {
    const big = `${JSON.stringify({ index: { _index: name('big') } })}\n${JSON.stringify({ blob: 'x'.repeat(11 * 1024 * 1024) })}\n`;
    const response = await failure(
      client.transport.request({ method: 'POST', path: '/_bulk', bulkBody: big }),
    );
    expect(response.status).toBe(413);
    expect((await client.info()).statusCode).toBe(200);
  });

  it('runs the version the CDK domain deploys', async () => {
    const info = await client.info();
    expect(info.body.version.number).toMatch(/^2\.19\./);
  });
});
