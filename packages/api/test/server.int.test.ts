import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../src/server.js';
import { capturingLog, testApi } from './support.js';

let server: ApiServer;
let port: number;

/** Sends bytes exactly as written, so nothing normalises the target or the Host header first. */
const rawRequest = (head: string): Promise<{ status: number; headers: string; body: string }> =>
  new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(text.slice(9, 12)),
        headers: text.slice(0, split).toLowerCase(),
        body: text.slice(split + 4),
      });
    });
    // Not end(): a client that half-closes may lose an answer the server sends after a read.
    socket.write(`${head}\r\nConnection: close\r\n\r\n`);
  });

const get = (target: string, host = `127.0.0.1:${port}`, method = 'GET') =>
  rawRequest(`${method} ${target} HTTP/1.1\r\nHost: ${host}`);

beforeAll(async () => {
  server = await startApiServer({ api: testApi().api, port: 0, log: capturingLog().log });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.close();
});

describe('the local API server', () => {
  it.each(['127.0.0.1', 'localhost', 'LOCALHOST', '[::1]'])(
    'answers a request whose Host is %s with the server port',
    async (name) => {
      const response = await get('/healthz', `${name}:${port}`);

      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ status: 'ok' });
    },
  );

  it.each([
    ['another name, as DNS rebinding sends', () => 'evil.example'],
    ['another name on the server port', () => `evil.example:${port}`],
    ['a loopback name on another port', () => `127.0.0.1:${port + 1}`],
    ['a name that only starts like localhost', () => `localhost.evil.example:${port}`],
  ])('refuses %s with 421 and says which hosts it serves', async (_name, host) => {
    const response = await get('/healthz', host());

    expect(response.status).toBe(421);
    const { error } = JSON.parse(response.body);
    expect(error.code).toBe('api.hostNotAllowed');
    expect(error.message).toContain(JSON.stringify(host()));
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('refuses the dashboard page to another Host too', async () => {
    const response = await get('/', 'evil.example');

    expect(response.status).toBe(421);
    expect(response.body).not.toContain('<html');
  });

  it('refuses an HTTP/1.0 request without a Host header', async () => {
    const response = await rawRequest('GET /healthz HTTP/1.0');

    expect(response.status).toBe(421);
    expect(JSON.parse(response.body).error.code).toBe('api.hostNotAllowed');
  });

  it('answers HEAD /healthz as GET, with its length and no body', async () => {
    const head = await get('/healthz', undefined, 'HEAD');
    const page = await get('/', undefined, 'HEAD');

    expect(head.status).toBe(200);
    expect(head.headers).toContain('content-type: application/json');
    expect(head.headers).toMatch(/content-length: [1-9]\d*/);
    expect(head.body).toBe('');
    expect(page.status).toBe(200);
    expect(page.body).toBe('');
  });

  it.each(['//healthz', '//', '/healthz/', '//static/dashboard.js'])(
    'answers %s with 404, never the dashboard',
    async (target) => {
      const response = await get(target);

      expect(response.status).toBe(404);
      expect(JSON.parse(response.body).error.code).toBe('api.routeNotFound');
    },
  );

  it('reads the query of a path as sent', async () => {
    const response = await get('/aggregates/products/top?day=2026-02-31');

    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error.message).toMatch(/^day /);
  });
});
