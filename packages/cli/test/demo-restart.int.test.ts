import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { type DemoEndpoints, runDemo } from '../src/commands/demo.js';

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
});

/** An API that accepts every write, as the real one does for well-formed requests. */
const acceptingApi = async (): Promise<{ url: string; requests: string[] }> => {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
    request.on('end', () => {
      response.writeHead(request.method === 'POST' ? 201 : 200, {
        'content-type': 'application/json',
      });
      response.end(JSON.stringify({ order: { rev: 1 }, rev: 2 }));
    });
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
};

/** The URL of a stack that has gone: nothing listens on its port any more. */
const goneApi = async (): Promise<string> => {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return `http://127.0.0.1:${port}`;
};

describe('the demo across a restart of the stack', () => {
  it('finds the restarted stack when requests are refused, and goes on writing there', async () => {
    const restarted = await acceptingApi();
    const lookups: number[] = [];
    const switched: string[] = [];

    const tally = await runDemo({
      apiUrl: await goneApi(),
      rate: 50,
      durationSeconds: 1.5,
      seed: 7,
      rediscover: (): DemoEndpoints | undefined => {
        lookups.push(Date.now());
        // The first look finds nothing new yet, as while the stack is still starting.
        return lookups.length === 1 ? undefined : { apiUrl: restarted.url };
      },
      onRediscovered: (url) => switched.push(url),
    });

    expect(tally.failures.TypeError).toBeGreaterThan(0);
    expect(switched).toEqual([restarted.url]);
    expect(restarted.requests.length).toBeGreaterThan(10);
    expect(tally.users + tally.orders + tally.views).toBeGreaterThan(10);
    // Looked up at most every REDISCOVER_EVERY_MS, not on every refused request.
    for (const [index, at] of lookups.entries())
      if (index > 0) expect(at - (lookups[index - 1] as number)).toBeGreaterThanOrEqual(499);
  });
});
