import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions } from '../src/bundling.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
let directory: string;

// Resolves the SDK's default credentials and loads node:http, as a client's module init does.
const ENTRY = `
import { request } from 'node:http';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
export const httpRequest = typeof request;
export const credentials = () => defaultProvider()();
`;

// Builds both kinds of SDK client a function could hold, as their module init does.
const CLIENTS = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
const s3 = new S3Client({ region: 'eu-west-1' });
new DynamoDBClient({ region: 'eu-west-1' });
export const marshaller = () => s3.config.eventStreamMarshaller.serialize();
`;

beforeAll(() => {
  mkdirSync(join(repositoryRoot, 'test-artifacts'), { recursive: true });
  // Under the repository, so the entry's imports resolve from its node_modules.
  directory = mkdtempSync(join(repositoryRoot, 'test-artifacts', 'bundling-test-'));
  writeFileSync(join(directory, 'entry.ts'), ENTRY);
  writeFileSync(join(directory, 'clients.ts'), CLIENTS);
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const bundle = async (entry = 'entry.ts') => {
  const outfile = join(directory, 'out', entry.replace('.ts', '.mjs'));
  const result = await build({
    ...esbuildOptions(join(directory, entry), outfile, repositoryRoot),
    metafile: true,
  });
  return { outfile, inputs: Object.keys(result.metafile.inputs) };
};

const run = (outfile: string, environment: Record<string, string>) =>
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(`file://${outfile}`)}); process.stdout.write(JSON.stringify({ http: m.httpRequest, credentials: await m.credentials().catch((e) => e.name) }));`,
    ],
    { env: { PATH: process.env.PATH ?? '', ...environment }, encoding: 'utf8' },
  );

describe('function bundles', () => {
  it('resolve the default credential chain to the environment alone, with none of its other links', async () => {
    const { inputs } = await bundle();
    expect(inputs.some((path) => path.includes('@aws-sdk/credential-provider-env'))).toBe(true);
    for (const link of ['credential-provider-sso', 'credential-provider-ini', 'nested-clients'])
      expect(inputs.filter((path) => path.includes(link))).toEqual([]);
  });

  it('hand out the credentials Lambda puts in the environment, session token included', async () => {
    const { outfile } = await bundle();
    const out = JSON.parse(
      run(outfile, {
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
      }),
    );
    expect(out.http).toBe('function');
    expect(out.credentials).toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('fail with the SDK credentials error when the environment holds none', async () => {
    const { outfile } = await bundle();
    expect(JSON.parse(run(outfile, {})).credentials).toBe('CredentialsProviderError');
  });

  it("leave out the SDK's event-stream codec, which no function's operation uses, and still build clients", async () => {
    const { outfile, inputs } = await bundle('clients.ts');
    expect(inputs.filter((path) => path.includes('submodules/event-streams'))).toEqual([]);
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(`file://${outfile}`)}); try { m.marshaller(); } catch (e) { process.stdout.write(e.message); }`,
      ],
      { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
    );
    expect(out).toMatch(/leaves out the SDK event-stream codec/);
  });
});
