import { spawnSync } from 'node:child_process';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  createMainTable,
  localDynamoDbClient,
  nonLoopbackAddresses,
  startReportingScript,
  tryConnect,
} from '@pipeline/testing';
import { describe, expect, inject, it } from 'vitest';
import { assertJava17, startDynamoDbLocal } from '../src/dynamodb-local.js';
import { JavaMissingError } from '../src/errors.js';

const javaProcessesOnPort = (port: number): number =>
  spawnSync('pgrep', ['-f', `DynamoDBLocal.jar.*-port ${port}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean).length;

describe('DynamoDB Local', () => {
  it('answers on the endpoint the suite provides, with the test table created from the model', async () => {
    const table = await createMainTable();
    const client = localDynamoDbClient();
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toContain(table.tableName);
    expect(table.streamArn).toMatch(/^arn:aws:dynamodb:/);
    client.destroy();
  });

  it('starts on a free port and leaves no Java process behind after stop', async () => {
    const dynamodb = await startDynamoDbLocal();
    expect(javaProcessesOnPort(dynamodb.port)).toBe(1);
    await dynamodb.stop();
    await dynamodb.stop();
    expect(javaProcessesOnPort(dynamodb.port)).toBe(0);
  });
});

describe('DynamoDB Local on the network', () => {
  it('listens on 127.0.0.1 only: a connection to any other address of this machine is refused', async () => {
    // Prepare
    const port = Number(new URL(inject('dynamodbEndpoint')).port);
    const others = nonLoopbackAddresses();
    // Act
    const loopback = await tryConnect('127.0.0.1', port);
    const elsewhere = await Promise.all(others.map((host) => tryConnect(host, port)));
    // Assess
    expect(loopback).toBe('connected');
    expect(elsewhere).toEqual(others.map(() => 'ECONNREFUSED'));
  });
});

describe('DynamoDB Local when things go wrong', () => {
  it('leaves no Java process behind when the process that started it is killed', async () => {
    // Prepare: a separate Node process starts DynamoDB Local and reports its port.
    const script = `
      import { startDynamoDbLocal } from '@pipeline/local';
      const dynamodb = await startDynamoDbLocal();
      console.log(dynamodb.port);
      setInterval(() => {}, 1000);
    `;
    const { child, reported } = await startReportingScript(script);
    const port = Number(reported);
    expect(javaProcessesOnPort(port)).toBe(1);
    // Act: no exit handler runs after SIGKILL, as when a test run is interrupted hard.
    child.kill('SIGKILL');
    // Assess
    const deadline = Date.now() + 10_000;
    while (javaProcessesOnPort(port) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(javaProcessesOnPort(port)).toBe(0);
  });

  it('says how to install Java when there is none', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => assertJava17()).toThrow(JavaMissingError);
      expect(() => assertJava17()).toThrow(/apt-get install -y openjdk-17-jre-headless/);
    } finally {
      process.env.PATH = path;
    }
  });
});
