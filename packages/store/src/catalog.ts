import type {
  DeleteItemCommandInput,
  GetItemCommandInput,
  PutItemCommandInput,
  QueryCommandInput,
  UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { EntityType, IndexName, idSchema, keys, type Session } from '@pipeline/model';
import { buildIndexPageParams, resumeAt } from './cursor.js';
import { auditOfNew, consistentGet, toAttributes, toItem } from './items.js';
import { epochSeconds, nextRev } from './rev.js';
import {
  type CreateSessionInput,
  createSessionInputSchema,
  type ListProductsByCategoryInput,
  type ListRecentProductViewsInput,
  listProductsByCategoryInputSchema,
  listRecentProductViewsInputSchema,
  type PutProductInput,
  parseInput,
  putProductInputSchema,
  type RecordProductViewInput,
  recordProductViewInputSchema,
} from './validation.js';

/** Sorts after every character of an ISO timestamp and of an id. */
const HIGH = '~';

/**
 * Builds the write of a product. Without `expectedRev` it creates the product and fails
 * if it exists; with it, it replaces the product's fields only at that revision, keeping
 * `createdAt`. Either way the category index (GSI1) follows.
 *
 * @example
 * buildPutProductParams('orders', { productId: 'p1', name: 'Pen', category: 'office', price: { amount: 150, currency: 'EUR' } }, new Date())
 */
export const buildPutProductParams = (
  tableName: string,
  input: PutProductInput,
  now: Date,
): UpdateItemCommandInput => {
  const { expectedRev, ...product } = parseInput(putProductInputSchema, input);
  const audit = auditOfNew(now, nextRev(now, expectedRev));
  const fields = {
    ...keys.productByCategory(product.category, product.productId),
    entityType: EntityType.product,
    ...product,
    ...audit,
  };
  // Sized as the whole item would be stored, though only its fields travel in the update.
  toItem({ ...keys.product(product.productId), ...fields });
  const set = Object.keys(fields).filter(
    (name) => expectedRev === undefined || name !== 'createdAt',
  );
  return {
    TableName: tableName,
    Key: toAttributes(keys.product(product.productId)),
    UpdateExpression: `SET ${set.map((name) => `#${name} = :${name}`).join(', ')}`,
    ConditionExpression:
      expectedRev === undefined ? 'attribute_not_exists(#pk)' : '#rev = :expectedRev',
    ExpressionAttributeNames: Object.fromEntries([
      ...set.map((name) => [`#${name}`, name]),
      ...(expectedRev === undefined ? [['#pk', 'PK']] : []),
    ]),
    ExpressionAttributeValues: toAttributes({
      ...Object.fromEntries(set.map((name) => [`:${name}`, fields[name as keyof typeof fields]])),
      ...(expectedRev === undefined ? {} : { ':expectedRev': expectedRev }),
    }),
    ReturnValues: 'ALL_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

/**
 * Builds the strongly consistent read of one product.
 *
 * @example
 * buildGetProductParams('orders', 'p1')
 */
export const buildGetProductParams = (tableName: string, productId: string): GetItemCommandInput =>
  consistentGet(tableName, keys.product(parseInput(idSchema, productId)));

/**
 * Builds the GSI1 query for a page of the products in one category, by product id.
 *
 * @example
 * buildListProductsByCategoryParams('orders', { category: 'office', limit: 50 })
 */
export const buildListProductsByCategoryParams = (
  tableName: string,
  input: ListProductsByCategoryInput,
): QueryCommandInput => {
  const { category, limit, cursor } = parseInput(listProductsByCategoryInputSchema, input);
  return buildIndexPageParams(tableName, {
    indexName: IndexName.gsi1,
    partition: keys.productByCategory(category, '').GSI1PK,
    newestFirst: false,
    limit,
    cursor,
  });
};

/**
 * Builds the creation of a session that expires `ttlSeconds` from now.
 *
 * @example
 * buildCreateSessionParams('orders', { sessionId: 's1', userId: 'u1', ttlSeconds: 3600 }, new Date())
 */
export const buildCreateSessionParams = (
  tableName: string,
  input: CreateSessionInput,
  now: Date,
): PutItemCommandInput => {
  const { ttlSeconds, ...session } = parseInput(createSessionInputSchema, input);
  return {
    TableName: tableName,
    Item: toItem({
      ...keys.session(session.sessionId),
      entityType: EntityType.session,
      ...session,
      ttl: epochSeconds(now) + ttlSeconds,
      ...auditOfNew(now, nextRev(now)),
    }),
    ConditionExpression: 'attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': 'PK' },
  };
};

/**
 * Builds the strongly consistent read of one session.
 *
 * @example
 * buildGetSessionParams('orders', 's1')
 */
export const buildGetSessionParams = (tableName: string, sessionId: string): GetItemCommandInput =>
  consistentGet(tableName, keys.session(parseInput(idSchema, sessionId)));

/**
 * Whether a session is still live at `now`. DynamoDB's TTL deletion can lag by up to 48
 * hours, so an expired session must be treated as absent while it still exists.
 *
 * @example
 * isSessionLive(session, new Date()) // false once session.ttl has passed
 */
export const isSessionLive = (session: Pick<Session, 'ttl'>, now: Date): boolean =>
  session.ttl > epochSeconds(now);

/**
 * Builds the deletion of a session, returning the old item so the caller knows whether
 * there was one.
 *
 * @example
 * buildRevokeSessionParams('orders', 's1')
 */
export const buildRevokeSessionParams = (
  tableName: string,
  sessionId: string,
): DeleteItemCommandInput => ({
  TableName: tableName,
  Key: toAttributes(keys.session(parseInput(idSchema, sessionId))),
  ReturnValues: 'ALL_OLD',
});

/**
 * Builds the write of one product view, which expires `ttlSeconds` after `now`.
 *
 * @example
 * buildRecordProductViewParams('orders', { productId: 'p1', viewId: 'v1' }, new Date(), 86_400)
 */
export const buildRecordProductViewParams = (
  tableName: string,
  input: RecordProductViewInput,
  now: Date,
  ttlSeconds: number,
): PutItemCommandInput => {
  const view = parseInput(recordProductViewInputSchema, input);
  const audit = auditOfNew(now, nextRev(now));
  return {
    TableName: tableName,
    Item: toItem({
      ...keys.productView(view.productId, audit.createdAt, view.viewId),
      entityType: EntityType.productView,
      ...view,
      at: audit.createdAt,
      ttl: epochSeconds(now) + ttlSeconds,
      ...audit,
    }),
    ConditionExpression: 'attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': 'PK' },
  };
};

/**
 * Builds the query for a page of a product's views, newest first, from `since` on
 * (inclusive) when given.
 *
 * @example
 * buildListRecentProductViewsParams('orders', { productId: 'p1', since: '2024-05-01T00:00:00.000Z' })
 */
export const buildListRecentProductViewsParams = (
  tableName: string,
  input: ListRecentProductViewsInput,
): QueryCommandInput => {
  const { productId, limit, cursor, since } = parseInput(listRecentProductViewsInputSchema, input);
  const pk = keys.product(productId).PK;
  return {
    TableName: tableName,
    KeyConditionExpression:
      since === undefined
        ? '#pk = :pk AND begins_with(#sk, :low)'
        : '#pk = :pk AND #sk BETWEEN :low AND :high',
    ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
    ExpressionAttributeValues: toAttributes(
      since === undefined
        ? { ':pk': pk, ':low': 'VIEW#' }
        : { ':pk': pk, ':low': `VIEW#${since}`, ':high': `VIEW#${HIGH}` },
    ),
    ScanIndexForward: false,
    Limit: limit,
    ...resumeAt(cursor, { name: 'PK', value: pk }),
  };
};
