import { GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createMainTable, type TestTable } from '@pipeline/testing';
import { expect } from 'vitest';
import { ValidationError } from '../src/errors.js';
import { toAttributes } from '../src/items.js';
import { createStore, type Store, type StoreOptions } from '../src/store.js';

// The builders' tests: one fixed clock, table `t`.

/** The clock of the builders' tests. */
export const now = new Date('2024-05-01T10:00:00.000Z');
/** {@link now} as the builders stamp it. */
export const at = now.toISOString();
/** The revision the builders give a new item at {@link now}. */
export const rev = now.getTime() * 1000;

/** Attribute values as plain data. */
export const plain = (attributes: object | undefined) =>
  unmarshall((attributes ?? {}) as Parameters<typeof unmarshall>[0]);

/**
 * Params with their expressions as DynamoDB reads them: each `#alias` replaced by the attribute
 * it names and each `:alias` by its value as JSON, without the two alias maps. Fails on an
 * alias the maps lack or the expressions leave unused, as DynamoDB refuses both.
 */
export const resolved = (params: object | undefined): Record<string, unknown> => {
  const {
    ExpressionAttributeNames: names = {},
    ExpressionAttributeValues: values,
    ...rest
  } = (params ?? {}) as { ExpressionAttributeNames?: Record<string, string> } & Record<
    string,
    unknown
  >;
  const aliases: Record<string, string> = { ...names };
  for (const [alias, value] of Object.entries(plain(values as object | undefined))) {
    aliases[alias] = JSON.stringify(value);
  }
  const unused = new Set(Object.keys(aliases));
  const resolve = (expression: string) =>
    expression.replace(/[#:]\w+/g, (alias) => {
      expect(aliases, `the alias ${alias}`).toHaveProperty([alias]);
      unused.delete(alias);
      return aliases[alias]!;
    });
  const readable = Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [
      key,
      key.endsWith('Expression') ? resolve(value as string) : value,
    ]),
  );
  expect([...unused], 'aliases no expression uses').toEqual([]);
  return readable;
};

/** An order line. */
export const line = (productId: string, quantity: number, amount: number, currency = 'EUR') => ({
  productId,
  name: `Product ${productId}`,
  quantity,
  unitPrice: { amount, currency },
});

/** The strongly consistent GetItem of one key of table `t`. */
export const consistentGet = (PK: string, SK: string) => ({
  TableName: 't',
  Key: { PK: { S: PK }, SK: { S: SK } },
  ConsistentRead: true,
});

/** The Query of table `t` on one partition of a global secondary index. */
export const indexQuery = (index: 'GSI1' | 'GSI2', partition: string) => {
  const name = `#${index.toLowerCase()}pk`;
  const value = `:${index.toLowerCase()}pk`;
  return {
    TableName: 't',
    IndexName: index,
    KeyConditionExpression: `${name} = ${value}`,
    ExpressionAttributeNames: { [name]: `${index}PK` },
    ExpressionAttributeValues: { [value]: { S: partition } },
  };
};

/** Checks that `build` refuses its input with a ValidationError naming `field`. */
export const expectRefused = (build: () => unknown, field: string) => {
  expect(build).toThrow(ValidationError);
  expect(build).toThrow(expect.objectContaining({ code: 'store.validation', field }));
};

// The store's tests against DynamoDB Local.

let seq = 0;
/** A fresh id per test, so tests sharing the table never collide. */
export const id = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${seq++}`;

/** A clock the tests move by hand, starting now. */
export const manualClock = () => {
  let ms = Date.now();
  return {
    now: () => new Date(ms),
    tick: (by = 1) => {
      ms += by;
    },
  };
};

/** A fresh main table and a store on it. */
export const tableWithStore = async (
  options: Omit<StoreOptions, 'tableName' | 'client'> = {},
): Promise<{ table: TestTable; store: Store }> => {
  const table = await createMainTable();
  return {
    table,
    store: createStore({ tableName: table.tableName, client: table.client, ...options }),
  };
};

/** One item as the table holds it, read strongly consistent, or `undefined`. */
export const rawItem = async (table: TestTable, key: { PK: string; SK: string }) =>
  (
    await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: toAttributes(key),
        ConsistentRead: true,
      }),
    )
  ).Item;

/** How many items one partition holds, counted strongly consistent. */
export const partitionSize = async (table: TestTable, pk: string) =>
  (
    await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'PK' },
        ExpressionAttributeValues: toAttributes({ ':pk': pk }),
        ConsistentRead: true,
      }),
    )
  ).Count;
