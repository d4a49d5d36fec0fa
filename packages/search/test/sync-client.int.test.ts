import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import {
  createSearchClient,
  createSyncSearchClient,
  type SearchIndexNames,
  sendBulk,
} from '../src/index.js';
import { type SearchFixture, startSearchFixture } from './support.js';

// The sync-search function's client against the library's full Client: the same answers
// from the run's OpenSearch node, and the same requests on the wire, signed or not.

let target: SearchFixture;
let names: SearchIndexNames;
const sync = () => createSyncSearchClient({ node: inject('opensearchUrl') });

beforeAll(async () => {
  target = await startSearchFixture();
  names = target.names;
});
afterAll(() => target.stop());

const statusOfFailure = async (request: Promise<unknown>) => {
  try {
    await request;
  } catch (error) {
    const failure = error as Error & { meta?: { statusCode?: number } };
    return { name: failure.name, status: failure.meta?.statusCode };
  }
  throw new Error('expected the request to fail');
};

describe('createSyncSearchClient against the OpenSearch node', () => {
  it('writes external versions with sendBulk, keeps the higher one, and reads it back by get', async () => {
    const client = sync();
    const id = `sync-client-${Math.random().toString(36).slice(2, 8)}`;
    const index = names.users.write;
    const first = await sendBulk(
      client,
      [{ index, id, version: 5, source: { userId: id, name: 'five' } }],
      { deadline: Date.now() + 20_000 },
    );
    expect(first.failures.size).toBe(0);
    const stale = await sendBulk(
      client,
      [{ index, id, version: 4, source: { userId: id, name: 'four' } }],
      { deadline: Date.now() + 20_000 },
    );
    // A lower external version is a 409 the library counts as already applied.
    expect(stale.failures.size).toBe(0);
    expect(stale.conflicts).toBe(1);
    const got = await client.get({ index, id });
    expect(got.statusCode).toBe(200);
    expect(got.body._version).toBe(5);
    expect(got.body._source).toEqual({ userId: id, name: 'five' });
    const full = await target.client.get({ index, id });
    expect(got.body).toEqual(full.body);
  });

  it('fails a missing document and a missing parameter as the full client does', async () => {
    const client = sync();
    const missing = { index: names.users.write, id: 'no-such-document' };
    expect(await statusOfFailure(client.get(missing))).toEqual(
      await statusOfFailure(target.client.get(missing)),
    );
    expect((await statusOfFailure(client.get(missing))).status).toBe(404);
    const noBody = {} as Parameters<typeof client.bulk>[0];
    expect(await statusOfFailure(client.bulk(noBody))).toEqual(
      await statusOfFailure(target.client.bulk(noBody)),
    );
  });
});

/** A server that records every request and answers each with an empty bulk response. */
const recordingServer = async () => {
  const requests: {
    method?: string;
    url?: string;
    headers: IncomingMessage['headers'];
    body: string;
  }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"took":0,"errors":false,"items":[]}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise((resolve) => server.close(resolve)) };
};

// The headers of a signature, which differ between two requests made at different instants.
const comparable = (headers: IncomingMessage['headers']) => {
  const { authorization, 'x-amz-date': date, ...rest } = headers;
  return rest;
};

describe.each([
  { signing: 'unsigned', sigv4: undefined },
  { signing: 'SigV4 es', sigv4: { region: 'eu-west-1', service: 'es' as const } },
  { signing: 'SigV4 aoss', sigv4: { region: 'eu-west-1', service: 'aoss' as const } },
])('createSyncSearchClient on the wire, $signing', ({ sigv4 }) => {
  it('sends the bulk and get requests of the full client', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');
    const server = await recordingServer();
    try {
      const clients = [
        createSyncSearchClient({ node: server.url, ...(sigv4 ? { sigv4 } : {}) }),
        createSearchClient({ node: server.url, ...(sigv4 ? { sigv4 } : {}) }),
      ];
      for (const client of clients) {
        await client.bulk({
          body: [
            { index: { _index: 'users-write', _id: 'u1', version: 2, version_type: 'external' } },
            { a: 1 },
          ],
        });
        await client.get({ index: 'users-write', id: 'u/1' });
      }
      const [slimBulk, slimGet, fullBulk, fullGet] = server.requests;
      for (const [slim, full] of [
        [slimBulk!, fullBulk!],
        [slimGet!, fullGet!],
      ] as const) {
        expect({ ...slim, headers: comparable(slim.headers) }).toEqual({
          ...full,
          headers: comparable(full.headers),
        });
        if (sigv4) {
          expect(slim.headers.authorization).toMatch(
            new RegExp(
              `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/eu-west-1/${sigv4.service}/aws4_request`,
            ),
          );
          expect(slim.headers['x-amz-security-token']).toBe('token');
        } else {
          expect(slim.headers.authorization).toBeUndefined();
        }
      }
      expect(slimBulk!.url).toBe('/_bulk');
      expect(slimGet!.url).toBe('/users-write/_doc/u%2F1');
    } finally {
      vi.unstubAllEnvs();
      await server.close();
    }
  });
});
