import { bundleMappings } from '@pipeline/cli';
import { type DynamoDbLocal, startDynamoDbLocal } from '@pipeline/local';
import { type OpenSearchNode, startOpenSearchNode } from '@pipeline/opensearch-local';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    /** The run's OpenSearch: the local node, or the cluster `OPENSEARCH_URL` names. */
    opensearchUrl: string;
  }
}

let dynamodb: DynamoDbLocal | undefined;
let opensearch: OpenSearchNode | undefined;

/**
 * Starts one in-memory DynamoDB Local and one OpenSearch node for the whole run, side by
 * side; test files isolate by table name and index prefix. `OPENSEARCH_URL` points the run
 * at another cluster instead.
 */
export const setup = async (project: TestProject) => {
  const external = process.env.OPENSEARCH_URL;
  const [local, node, bundles] = await Promise.all([
    startDynamoDbLocal(),
    external ? undefined : startOpenSearchNode({ onProgress: (message) => console.error(message) }),
    // Fills the bundle cache once, so the stacks the end-to-end files start copy the
    // mappings' bundles instead of each building them while their JVMs start.
    bundleMappings(),
  ]);
  bundles.dispose();
  dynamodb = local;
  opensearch = node;
  project.provide('dynamodbEndpoint', local.endpoint);
  project.provide('opensearchUrl', external ?? (node as OpenSearchNode).url);
};

export const teardown = async () => {
  await Promise.all([dynamodb?.stop(), opensearch?.stop()]);
};
