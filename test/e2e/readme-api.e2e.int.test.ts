import { readFileSync } from 'node:fs';
import type { Client } from '@opensearch-project/opensearch';
import type { AggregatesReader } from '@pipeline/aggregates';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiStore, createApi, matchPath, type Route } from '../../packages/api/src/routes.js';
import type { RunningPipeline } from '../../packages/cli/src/commands/start.js';
import { type ReadmeExample, readmeExamples } from './readme-examples.js';
import { callApi, startTestPipeline, utcToday } from './support.js';

// The examples were recorded on this day and the one before; the test moves them to today.
const RECORDED_TODAY = '2026-12-03';
const RECORDED_YESTERDAY = '2026-12-02';
const yesterday = new Date(Date.parse(`${utcToday()}T00:00:00Z`) - 86_400_000)
  .toISOString()
  .slice(0, 10);

/** Values that differ from run to run: clocks, revisions (from the clock), relevance, cursors. */
const PER_RUN_FIELDS = new Set([
  'createdAt',
  'updatedAt',
  'at',
  'ttl',
  'rev',
  'score',
  'cursor',
  'uptimeSeconds',
]);

/** Routes whose figures depend on timing alone: their answers are checked by schema only. */
const SCHEMA_ONLY = new Set(['GET /pipeline', 'GET /healthz', 'GET /openapi.json']);

const masked = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(masked);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      PER_RUN_FIELDS.has(key) ? `<${key}>` : masked(inner),
    ]),
  );
};

const routes = createApi({
  store: {} as ApiStore,
  search: {} as Client,
  aggregates: {} as AggregatesReader,
  log: { error: () => undefined },
}).routes;
const routeOf = (key: string): Route | undefined =>
  routes.find((route) => `${route.method} ${route.path}` === key);

const readme = readFileSync('README.md', 'utf8')
  .replaceAll(RECORDED_TODAY, utcToday())
  .replaceAll(RECORDED_YESTERDAY, yesterday);
const { headings, examples } = readmeExamples(readme);

let pipeline: RunningPipeline;

beforeAll(async () => {
  pipeline = await startTestPipeline();
}, 180_000);

afterAll(async () => {
  await pipeline?.stop();
});

const send = (example: ReadmeExample) =>
  callApi(pipeline.api.url, example.method, example.target, example.body);

/** GETs read what the stream carries to search and the aggregates, so they are asked until they agree. */
const answerOf = async (example: ReadmeExample, expected: unknown) => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await send(example);
    const settled =
      example.method !== 'GET' ||
      SCHEMA_ONLY.has(example.route) ||
      JSON.stringify(masked(answer.body)) === JSON.stringify(expected);
    if (settled || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
};

describe("the README's API section", () => {
  it('documents every route of the route table with at least one example', () => {
    expect([...new Set(headings)].sort()).toEqual(
      routes.map((route) => `${route.method} ${route.path}`).sort(),
    );
    for (const route of routes) {
      expect(examples.some((example) => example.route === `${route.method} ${route.path}`)).toBe(
        true,
      );
    }
  });

  it('sends each example to the route its heading names, with a body that route accepts', () => {
    for (const example of examples) {
      const route = routeOf(example.route);
      const path = example.target.split('?')[0] ?? '';
      expect(route, example.route).toBeDefined();
      expect(example.method).toBe(route?.method);
      expect(matchPath(route?.path ?? '', path), example.target).toBeDefined();
      const body = route?.request?.body;
      if (example.status < 400 && body) expect(body.safeParse(example.body).error).toBeUndefined();
    }
  });

  it('gets, for every example in order, the status and answer shown, on a fresh npm start stack', async () => {
    for (const example of examples) {
      const route = routeOf(example.route);
      const schema = example.status < 400 ? route?.response.schema : undefined;
      const expected = masked(example.answer);

      const answer = await answerOf(example, expected);

      const label = `${example.method} ${example.target}`;
      expect(answer.status, label).toBe(example.status);
      if (schema) {
        expect(schema.safeParse(answer.body).error, label).toBeUndefined();
        expect(schema.safeParse(example.answer).error, `${label} as documented`).toBeUndefined();
      }
      if (!SCHEMA_ONLY.has(example.route)) expect(masked(answer.body), label).toEqual(expected);
    }
  }, 180_000);
});
