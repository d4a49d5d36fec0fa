import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consumerNamed, mappingNamed } from '@pipeline/consumers';
import { EnvVar, mappingFunction } from '@pipeline/pipeline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandler, SandboxError, SandboxPool, sandboxTimingOf } from '../src/sandbox.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
let directory: string;
const pools: SandboxPool[] = [];

// A handler module that counts its own module inits and obeys the event's instructions.
const FIXTURE = `
let inits = 0;
inits++;
const initialisedAt = Date.now();
export const handler = async (event, context) => {
  const order = event.Records[0]?.order ?? 'answer';
  if (order === 'hang') await new Promise(() => {});
  if (order === 'grow') {
    const hoard = [];
    for (;;) hoard.push(new Array(1_000_000).fill(Math.random()));
  }
  if (order === 'wait') await new Promise((resolve) => setTimeout(resolve, 200));
  if (order === 'throw') throw new TypeError('bad record');
  return {
    inits,
    initialisedAt,
    secret: process.env.SECRET_SETTING ?? null,
    home: process.env.HOME ?? null,
    requestId: context.awsRequestId,
    remainingMs: context.getRemainingTimeInMillis(),
    batchItemFailures: [],
  };
};
`;

let fixtureBundle: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sandbox-test-'));
  writeFileSync(join(directory, 'fixture.ts'), FIXTURE);
  fixtureBundle = await bundleHandler({
    entry: 'fixture.ts',
    outfile: join(directory, 'out', 'index.mjs'),
    root: directory,
  });
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const pool = (overrides: { memoryMiB?: number; timeoutMs?: number } = {}) => {
  const created = new SandboxPool({
    bundle: fixtureBundle,
    definition: { ...consumerNamed('sync-search'), memoryMiB: overrides.memoryMiB ?? 256 },
    environment: { SECRET_SETTING: 'only-in-the-sandbox' },
    ...(overrides.timeoutMs ? { timeoutMs: overrides.timeoutMs } : {}),
  });
  pools.push(created);
  return created;
};

const ask = (order: string) => ({ Records: [{ order }] }) as never;

describe('SandboxPool', () => {
  it('inits the module once per sandbox and reuses a warm sandbox, with only the given environment', async () => {
    const sandboxes = pool();
    const first = (await sandboxes.handler(ask('answer'))) as Record<string, unknown>;
    const second = (await sandboxes.handler(ask('answer'))) as Record<string, unknown>;
    expect(first.inits).toBe(1);
    expect(second.initialisedAt).toBe(first.initialisedAt);
    expect(first.secret).toBe('only-in-the-sandbox');
    expect(first.home).toBeNull();
    expect(first.requestId).not.toBe(second.requestId);
    expect(first.remainingMs).toBeGreaterThan(59_000);
    const stats = sandboxes.stats();
    expect(stats).toMatchObject({ coldStarts: 1, timeouts: 0, crashes: 0, alive: 1 });
    expect(stats.initMs).toHaveLength(1);
  });

  it("reports the handler's own start and return from inside the sandbox, after dispatch", async () => {
    const sandboxes = pool();
    await sandboxes.handler(ask('answer'));
    const event = ask('wait');
    const calledMs = Date.now();

    await sandboxes.handler(event);
    const returnedMs = Date.now();

    const timing = sandboxTimingOf(event);
    expect(timing).toBeDefined();
    expect(timing!.startMs).toBeGreaterThanOrEqual(calledMs);
    expect(timing!.endMs - timing!.startMs).toBeGreaterThanOrEqual(190);
    expect(timing!.endMs).toBeLessThanOrEqual(returnedMs);
  });

  it('starts a second sandbox for a concurrent invocation, each cold once', async () => {
    const sandboxes = pool();
    const [a, b] = (await Promise.all([
      sandboxes.handler(ask('wait')),
      sandboxes.handler(ask('wait')),
    ])) as Record<string, unknown>[];
    expect(a!.initialisedAt).not.toBe(b!.initialisedAt);
    expect(sandboxes.stats()).toMatchObject({ coldStarts: 2, alive: 2 });
  });

  it('ends an invocation at the timeout, discards its sandbox, and starts the next one cold', async () => {
    const sandboxes = pool({ timeoutMs: 300 });
    const error = await sandboxes.handler(ask('hang')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SandboxError);
    expect((error as SandboxError).code).toBe('local.sandboxTimeout');
    expect((error as Error).message).toBe('Task timed out after 0.30 seconds');
    const next = (await sandboxes.handler(ask('answer'))) as Record<string, unknown>;
    expect(next.inits).toBe(1);
    expect(sandboxes.stats()).toMatchObject({ coldStarts: 2, timeouts: 1, alive: 1 });
  });

  it("fails an invocation whose heap outgrows the function's memory, and discards the sandbox", async () => {
    const sandboxes = pool({ memoryMiB: 128 });
    const error = await sandboxes.handler(ask('grow')).catch((caught: unknown) => caught);
    expect((error as SandboxError).code).toBe('local.sandboxCrashed');
    expect(sandboxes.stats()).toMatchObject({ crashes: 1, alive: 0 });
  });

  it("passes a handler's own error on and keeps the sandbox warm", async () => {
    const sandboxes = pool();
    await expect(sandboxes.handler(ask('throw'))).rejects.toThrow('TypeError: bad record');
    await sandboxes.handler(ask('answer'));
    expect(sandboxes.stats()).toMatchObject({ coldStarts: 1, crashes: 0, alive: 1 });
  });
});

describe('bundleHandler with a cache', () => {
  it('copies an unchanged bundle from the cache and rebuilds once an input changes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bundle-cache-'));
    try {
      const cacheDirectory = join(root, 'cache');
      writeFileSync(join(root, 'answer.ts'), 'export const answer = 1;\n');
      writeFileSync(
        join(root, 'entry.ts'),
        "import { answer } from './answer.js';\nexport const handler = async () => answer;\n",
      );
      const build = (name: string) =>
        bundleHandler({
          entry: 'entry.ts',
          outfile: join(root, name, 'index.mjs'),
          root,
          cacheDirectory,
        });
      const first = readFileSync(await build('a'), 'utf8');
      const second = readFileSync(await build('b'), 'utf8');
      expect(second).toBe(first);
      writeFileSync(join(root, 'answer.ts'), 'export const answer = 2;\n');
      const third = readFileSync(await build('c'), 'utf8');
      expect(third).not.toBe(first);
      expect(third).toContain('2');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the deployable bundles', () => {
  it('build and run aggregates-and-archive from its bundle: init in the sandbox, an empty batch answered', async () => {
    const definition = mappingFunction(mappingNamed('aggregates-and-archive'));
    const bundle = await bundleHandler({
      entry: definition.handler,
      outfile: join(directory, 'shared', 'index.mjs'),
      root: repositoryRoot,
    });
    const sandboxes = new SandboxPool({
      bundle,
      definition,
      environment: {
        [EnvVar.aggregatesTableName]: 'unused',
        [EnvVar.archiveBucket]: 'unused',
        [EnvVar.tableName]: 'unused',
        AWS_REGION: 'us-east-1',
        POWERTOOLS_METRICS_DISABLED: 'true',
      },
    });
    pools.push(sandboxes);
    await expect(sandboxes.handler({ Records: [] })).resolves.toEqual({ batchItemFailures: [] });
    expect(sandboxes.stats().coldStarts).toBe(1);
  });
});
