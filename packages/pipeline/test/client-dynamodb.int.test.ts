import * as sdk from '@aws-sdk/client-dynamodb';
import { createMainTable, type TestTable } from '@pipeline/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as lean from '../src/bundle-substitutes/client-dynamodb.js';
import { EnvVar } from '../src/env.js';
import { dynamoDbClientConfig } from '../src/runtime-config.js';

/** Each command the tests send, as the SDK's class and as the bundles'. */
const COMMANDS = {
  BatchGetItemCommand: [sdk.BatchGetItemCommand, lean.BatchGetItemCommand],
  BatchWriteItemCommand: [sdk.BatchWriteItemCommand, lean.BatchWriteItemCommand],
  DeleteItemCommand: [sdk.DeleteItemCommand, lean.DeleteItemCommand],
  GetItemCommand: [sdk.GetItemCommand, lean.GetItemCommand],
  PutItemCommand: [sdk.PutItemCommand, lean.PutItemCommand],
  QueryCommand: [sdk.QueryCommand, lean.QueryCommand],
  TransactWriteItemsCommand: [sdk.TransactWriteItemsCommand, lean.TransactWriteItemsCommand],
  UpdateItemCommand: [sdk.UpdateItemCommand, lean.UpdateItemCommand],
} as const;

let table: TestTable;
let substitute: lean.DynamoDBClient;

beforeAll(async () => {
  table = await createMainTable();
  // The settings a handler builds its client with, against the suite's DynamoDB Local.
  substitute = new lean.DynamoDBClient(
    dynamoDbClientConfig({ [EnvVar.dynamodbEndpoint]: inject('dynamodbEndpoint') }),
  );
});
afterAll(() => substitute.destroy());

// The SDK's classes declare fields they may leave undefined; a field that is absent reads the same.
const defined = (fields: object) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

/** An output or a failure as the caller sees it: its class, name, message and every field. */
const seen = (outcome: unknown) => {
  const { $metadata, ...fields } = outcome as { $metadata: { requestId?: string } };
  expect($metadata.requestId).toMatch(/\S/);
  const { requestId: _differs, ...metadata } = $metadata;
  const described = { ...defined(fields), $metadata: defined(metadata) };
  if (!(outcome instanceof Error)) return described;
  return {
    class: outcome.constructor.name,
    name: outcome.name,
    message: outcome.message,
    ...described,
  };
};

/**
 * What the SDK's client and the bundles' answer to the same command, each after `prepare`
 * has set the table up alike: the output, or the failure.
 */
const bothAnswer = async (
  name: keyof typeof COMMANDS,
  input: object,
  prepare: () => Promise<unknown> = async () => {},
) => {
  const [Sdk, Lean] = COMMANDS[name] as unknown as [
    new (input: object) => sdk.GetItemCommand,
    new (input: object) => lean.DynamoDBCommand,
  ];
  const settle = (promise: Promise<unknown>) =>
    promise.then(seen, (error: unknown) => ({ failure: seen(error) }));
  await prepare();
  const expected = await settle(table.client.send(new Sdk(input)));
  await prepare();
  const actual = await settle(substitute.send(new Lean(input)));
  return { expected, actual };
};

const bytes = new Uint8Array([0, 1, 127, 128, 254, 255]);
const ITEM = {
  PK: { S: 'SUBSTITUTE#types' },
  SK: { S: 'ITEM' },
  S: { S: 'text with "quotes", \\ and ü' },
  N: { N: '-12.5' },
  B: { B: bytes },
  Empty: { B: new Uint8Array() },
  View: { B: new Uint8Array(bytes.buffer, 2, 3) },
  Buffered: { B: Buffer.from('a buffer') },
  BOOL: { BOOL: false },
  NULL: { NULL: true },
  SS: { SS: ['a', 'b'] },
  NS: { NS: ['1', '2.5'] },
  BS: { BS: [bytes, new Uint8Array([9])] },
  L: { L: [{ B: bytes }, { S: 'B' }, { L: [{ BS: [new Uint8Array([7])] }] }] },
  M: {
    M: {
      B: { S: 'an attribute named B' },
      BS: { M: { B: { B: bytes } } },
      nested: { M: { deeper: { L: [{ M: { bin: { B: bytes } } }] } } },
    },
  },
};
/** {@link ITEM} as it comes back: every binary value a plain Uint8Array, the Buffer too. */
const STORED = { ...ITEM, Buffered: { B: new Uint8Array(Buffer.from('a buffer')) } };
const KEY = { PK: ITEM.PK, SK: ITEM.SK };

// A condition ITEM fails once it is stored, asking for the item as it was.
const ABSENT_ELSE_OLD = {
  ConditionExpression: 'attribute_not_exists(PK)',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
} as const;

const putItem = (item: Record<string, sdk.AttributeValue>) =>
  table.client.send(new sdk.PutItemCommand({ TableName: table.tableName, Item: item }));

describe('the bundles’ DynamoDB client against DynamoDB Local, beside the SDK’s', () => {
  it('writes and reads back every attribute type, binary ones nested in maps and lists included', async () => {
    const put = await bothAnswer(
      'PutItemCommand',
      { TableName: table.tableName, Item: ITEM, ReturnValues: 'ALL_OLD' },
      () => putItem(ITEM),
    );
    const get = await bothAnswer('GetItemCommand', {
      TableName: table.tableName,
      Key: KEY,
      ConsistentRead: true,
      ReturnConsumedCapacity: 'TOTAL',
    });

    expect(put.actual).toStrictEqual(put.expected);
    expect(get.actual).toStrictEqual(get.expected);
    expect(get.actual).toMatchObject({
      Item: { ...ITEM, Buffered: { B: expect.any(Uint8Array) } },
    });
    expect((get.actual as unknown as { Item: typeof ITEM }).Item.M.M.BS.M.B.B).toBeInstanceOf(
      Uint8Array,
    );
  });

  it('pages through a Query alike, following LastEvaluatedKey to the end', async () => {
    const PK = { S: 'SUBSTITUTE#query' };
    await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((sk) => putItem({ PK, SK: { S: sk }, data: { B: bytes } })),
    );
    const pages = async (client: 'sdk' | 'lean') => {
      const seenPages: unknown[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const input = {
          TableName: table.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': PK },
          Limit: 2,
          ScanIndexForward: false,
          ExclusiveStartKey,
        };
        const page = (
          client === 'sdk'
            ? await table.client.send(new sdk.QueryCommand(input as sdk.QueryCommandInput))
            : await substitute.send(new lean.QueryCommand(input))
        ) as { LastEvaluatedKey?: Record<string, unknown> };
        seenPages.push(seen(page));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return seenPages;
    };

    const expected = await pages('sdk');
    const actual = await pages('lean');

    expect(expected).toHaveLength(3);
    expect(actual).toStrictEqual(expected);
  });

  it('answers an UpdateItem with the values asked for', async () => {
    const update = (ReturnValues: string) =>
      bothAnswer(
        'UpdateItemCommand',
        {
          TableName: table.tableName,
          Key: KEY,
          UpdateExpression: 'SET #b = :b, #n = :n REMOVE Gone',
          ExpressionAttributeNames: { '#b': 'B', '#n': 'N' },
          ExpressionAttributeValues: { ':b': { B: new Uint8Array([42]) }, ':n': { N: '7' } },
          ReturnValues,
        },
        () => putItem({ ...ITEM, Gone: { BS: [bytes] } }),
      );

    for (const returned of ['ALL_NEW', 'UPDATED_OLD', 'ALL_OLD', 'NONE']) {
      const { expected, actual } = await update(returned);
      expect(actual).toStrictEqual(expected);
    }
  });

  it('fails a condition with the SDK’s ConditionalCheckFailedException, old item included', async () => {
    const { expected, actual } = await bothAnswer(
      'PutItemCommand',
      { TableName: table.tableName, Item: KEY, ...ABSENT_ELSE_OLD },
      () => putItem(ITEM),
    );

    expect(actual).toStrictEqual(expected);
    expect(actual).toMatchObject({
      failure: { class: 'ConditionalCheckFailedException', $fault: 'client', Item: STORED },
    });
  });

  it('cancels a transaction with the SDK’s TransactionCanceledException and its reasons', async () => {
    const { expected, actual } = await bothAnswer(
      'TransactWriteItemsCommand',
      {
        TransactItems: [
          {
            Put: {
              TableName: table.tableName,
              Item: { PK: { S: 'SUBSTITUTE#tx' }, SK: { S: 'NEW' }, B: { B: bytes } },
            },
          },
          {
            ConditionCheck: { TableName: table.tableName, Key: KEY, ...ABSENT_ELSE_OLD },
          },
        ],
      },
      () => putItem(ITEM),
    );

    expect(actual).toStrictEqual(expected);
    expect(actual).toMatchObject({
      failure: {
        class: 'TransactionCanceledException',
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: STORED }],
      },
    });
  });

  it('writes and reads batches alike', async () => {
    const items = ['1', '2', '3'].map((sk) => ({
      PK: { S: 'SUBSTITUTE#batch' },
      SK: { S: sk },
      BS: { BS: [bytes, new Uint8Array([Number(sk)])] },
    }));
    const write = await bothAnswer('BatchWriteItemCommand', {
      RequestItems: { [table.tableName]: items.map((Item) => ({ PutRequest: { Item } })) },
      ReturnConsumedCapacity: 'TOTAL',
    });
    const read = await bothAnswer('BatchGetItemCommand', {
      RequestItems: {
        [table.tableName]: {
          Keys: items.map(({ PK, SK }) => ({ PK, SK })),
          ConsistentRead: true,
        },
      },
    });

    expect(write.actual).toStrictEqual(write.expected);
    const sorted = (outcome: unknown) => {
      const { Responses, ...rest } = outcome as {
        Responses: Record<string, { SK: { S: string } }[]>;
      };
      const rows = Responses[table.tableName]!;
      return { ...rest, rows: [...rows].sort((a, b) => a.SK.S.localeCompare(b.SK.S)) };
    };
    expect(sorted(read.actual)).toStrictEqual(sorted(read.expected));
    expect(sorted(read.actual).rows).toStrictEqual(items);
  });

  it('deletes alike, handing back the old item', async () => {
    const { expected, actual } = await bothAnswer(
      'DeleteItemCommand',
      { TableName: table.tableName, Key: KEY, ReturnValues: 'ALL_OLD' },
      () => putItem(ITEM),
    );

    expect(actual).toStrictEqual(expected);
    expect(actual).toMatchObject({ Attributes: STORED });
  });

  it('names a table that does not exist with the SDK’s ResourceNotFoundException', async () => {
    const { expected, actual } = await bothAnswer('GetItemCommand', {
      TableName: `${table.tableName}-missing`,
      Key: KEY,
    });

    expect(actual).toStrictEqual(expected);
    expect(actual).toMatchObject({
      failure: { class: 'ResourceNotFoundException', name: 'ResourceNotFoundException' },
    });
  });

  it('names a refusal the SDK does not model after DynamoDB’s error type, as the SDK does', async () => {
    const { expected, actual } = await bothAnswer('QueryCommand', {
      TableName: table.tableName,
      KeyConditionExpression: 'nope = :v',
      ExpressionAttributeValues: { ':v': { S: 'x' } },
    });

    expect(actual).toStrictEqual(expected);
    expect(actual).toMatchObject({
      failure: { class: 'DynamoDBServiceException', name: 'ValidationException', $fault: 'client' },
    });
  });
});
