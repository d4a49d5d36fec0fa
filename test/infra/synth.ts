/** Synthesises the pipeline stack for the infra tests, with cdk.json's feature flags. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { repoRoot } from '../../infra/lib/bundling.js';
import { PipelineStack, type PipelineStackProps } from '../../infra/lib/pipeline-stack.js';
import { readSettings } from '../../infra/lib/settings.js';

const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

// A handler still being written elsewhere is replaced by a stand-in outside git, so the
// stack's shape can be checked before every handler exists.
const standIn = (): string => {
  const dir = join(repoRoot, 'test-artifacts', 'infra');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'stand-in-handler.ts');
  writeFileSync(file, 'export const handler = async () => ({ batchItemFailures: [] });\n');
  return file;
};

/** A synthesised stack and its template. */
export interface Synthesised {
  readonly stack: PipelineStack;
  readonly template: Template;
  /** Consumers whose handler module did not exist and were bundled from a stand-in. */
  readonly standIns: readonly string[];
}

/**
 * Builds the stack for `context`; bundles the functions with esbuild only when `bundle` is
 * set, since the other variants check the shape alone.
 */
export const synthesise = (
  context: Record<string, string>,
  bundle = false,
  consumers?: PipelineStackProps['consumers'],
): Synthesised => {
  const app = new App({
    context: {
      ...cdkJson.context,
      ...context,
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const settings = readSettings((key) => app.node.tryGetContext(key));
  const standIns: string[] = [];
  const stack = new PipelineStack(app, 'PipelineTest', {
    settings,
    ...(consumers ? { consumers } : {}),
    entryOf: (consumer) => {
      if (existsSync(join(repoRoot, consumer.handler))) return undefined;
      standIns.push(consumer.name);
      return standIn();
    },
  });
  return { stack, template: Template.fromStack(stack), standIns };
};

/** Context for a search domain the stack does not create: its endpoint and ARN. */
export const existingDomain = {
  searchEndpoint: 'https://search-orders.eu-west-1.es.amazonaws.com',
  searchDomainArn: 'arn:aws:es:eu-west-1:123456789012:domain/orders',
};

/** Context for an OpenSearch Serverless collection as the search target. */
export const serverlessCollection = {
  searchEndpoint: 'https://abc123.eu-west-1.aoss.amazonaws.com',
  searchCollectionArn: 'arn:aws:aoss:eu-west-1:123456789012:collection/abc123',
};
