import { type DynamoDbLocal, startDynamoDbLocal } from '@pipeline/local';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

let dynamodb: DynamoDbLocal | undefined;

/** Starts one in-memory DynamoDB Local for the whole run; test files isolate by table name. */
export const setup = async (project: TestProject) => {
  dynamodb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
};

export const teardown = async () => {
  await dynamodb?.stop();
};
