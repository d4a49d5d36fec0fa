import type { AttributeValue, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { type IndexName, mainTable } from '@pipeline/model';
import * as z from 'zod';
import { InvalidCursorError } from './errors.js';
import { toAttributes } from './items.js';

/** Key attribute names a cursor may carry: the table's and the GSIs' keys, all strings. */
const KEY_ATTRIBUTES = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK'] as const;

const cursorSchema = z.strictObject({
  PK: z.string().min(1),
  SK: z.string().min(1),
  GSI1PK: z.string().min(1).optional(),
  GSI1SK: z.string().min(1).optional(),
  GSI2PK: z.string().min(1).optional(),
  GSI2SK: z.string().min(1).optional(),
});

/** The decoded form of a cursor: the key a Query resumes after. */
export type CursorKey = z.infer<typeof cursorSchema>;

/**
 * Turns a Query's LastEvaluatedKey into an opaque cursor, or `undefined` at the last page.
 *
 * @example
 * encodeCursor({ PK: { S: 'USER#u1' }, SK: { S: 'ORDER#...' } }) // 'eyJQSyI6...'
 */
export const encodeCursor = (
  lastEvaluatedKey: Readonly<Record<string, AttributeValue>> | undefined,
): string | undefined => {
  if (!lastEvaluatedKey || Object.keys(lastEvaluatedKey).length === 0) return undefined;
  const plain: Record<string, string> = {};
  for (const name of KEY_ATTRIBUTES) {
    const value = lastEvaluatedKey[name]?.S;
    if (value !== undefined) plain[name] = value;
  }
  return Buffer.from(JSON.stringify(plain), 'utf8').toString('base64url');
};

/**
 * Decodes and checks a cursor, returning the ExclusiveStartKey to resume from.
 * `requiredKeys` are exactly the key attributes of the queried index and the table; `partition` pins the
 * partition the cursor must belong to, so a cursor from another list is refused.
 *
 * @example
 * decodeCursor(cursor, { requiredKeys: ['PK', 'SK'], partition: { name: 'PK', value: 'USER#u1' } })
 */
export const decodeCursor = (
  cursor: string,
  options: {
    readonly requiredKeys: readonly (typeof KEY_ATTRIBUTES)[number][];
    readonly partition: { readonly name: (typeof KEY_ATTRIBUTES)[number]; readonly value: string };
  },
): Record<string, AttributeValue> => {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError('not base64url');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError('not JSON', { cause: error });
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw new InvalidCursorError('unexpected shape', { cause: parsed.error });
  const key = parsed.data;
  for (const name of KEY_ATTRIBUTES) {
    const wanted = options.requiredKeys.includes(name);
    if (wanted && key[name] === undefined) throw new InvalidCursorError(`missing ${name}`);
    if (!wanted && key[name] !== undefined) throw new InvalidCursorError(`unexpected ${name}`);
  }
  if (key[options.partition.name] !== options.partition.value) {
    throw new InvalidCursorError('belongs to another list');
  }
  const startKey: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(key)) {
    if (value !== undefined) startKey[name] = { S: value };
  }
  return startKey;
};

/**
 * Builds the Query of one page of a GSI partition, resuming after `cursor`: the shape
 * shared by orders by status, flagged orders and products by category.
 *
 * @example
 * buildIndexPageParams('orders', { indexName: 'GSI2', partition: 'FLAGGED', newestFirst: true, limit: 50 })
 */
/**
 * Where a query of one partition resumes: `{ ExclusiveStartKey }` from a checked cursor, or
 * nothing on the first page. `requiredKeys` are the queried index's key attributes and the
 * table's.
 *
 * @example
 * { ...query, ...resumeAt(cursor, { name: 'PK', value: 'USER#u1' }) }
 */
export const resumeAt = (
  cursor: string | undefined,
  partition: { readonly name: (typeof KEY_ATTRIBUTES)[number]; readonly value: string },
  requiredKeys: readonly (typeof KEY_ATTRIBUTES)[number][] = ['PK', 'SK'],
): { ExclusiveStartKey?: Record<string, AttributeValue> } =>
  cursor ? { ExclusiveStartKey: decodeCursor(cursor, { requiredKeys, partition }) } : {};

export const buildIndexPageParams = (
  tableName: string,
  page: {
    readonly indexName: (typeof IndexName)[keyof typeof IndexName];
    readonly partition: string;
    readonly newestFirst: boolean;
    readonly limit?: number | undefined;
    readonly cursor?: string | undefined;
  },
): QueryCommandInput => {
  const index = mainTable.globalSecondaryIndexes.find((gsi) => gsi.indexName === page.indexName)!;
  const partitionKey = index.partitionKey.name as (typeof KEY_ATTRIBUTES)[number];
  const sortKey = index.sortKey.name as (typeof KEY_ATTRIBUTES)[number];
  const alias = partitionKey.toLowerCase();
  return {
    TableName: tableName,
    IndexName: page.indexName,
    KeyConditionExpression: `#${alias} = :${alias}`,
    ExpressionAttributeNames: { [`#${alias}`]: partitionKey },
    ExpressionAttributeValues: toAttributes({ [`:${alias}`]: page.partition }),
    ...(page.newestFirst ? { ScanIndexForward: false } : {}),
    Limit: page.limit,
    ...resumeAt(page.cursor, { name: partitionKey, value: page.partition }, [
      'PK',
      'SK',
      partitionKey,
      sortKey,
    ]),
  };
};
