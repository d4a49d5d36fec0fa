import { describe, expect, it } from 'vitest';
import * as catalog from '../src/catalog.js';
import { encodeCursor } from '../src/cursor.js';
import { InvalidCursorError, ValidationError } from '../src/errors.js';
import { toAttributes } from '../src/items.js';
import { at, consistentGet, indexQuery, now, plain, rev } from './support.js';

const seconds = now.getTime() / 1000;
const pen = {
  productId: 'p1',
  name: 'Pen',
  category: 'office',
  price: { amount: 150, currency: 'EUR' },
};

describe('buildPutProductParams', () => {
  it('creates a product only if absent, setting every attribute and the category index', () => {
    const params = catalog.buildPutProductParams('t', pen, now);

    expect(params.Key).toEqual({ PK: { S: 'PRODUCT#p1' }, SK: { S: 'METADATA' } });
    expect(params.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(params.UpdateExpression).toBe(
      'SET #GSI1PK = :GSI1PK, #GSI1SK = :GSI1SK, #entityType = :entityType, #productId = :productId, #name = :name, #category = :category, #price = :price, #createdAt = :createdAt, #updatedAt = :updatedAt, #rev = :rev',
    );
    expect(params.ExpressionAttributeNames).toMatchObject({ '#pk': 'PK', '#name': 'name' });
    expect(plain(params.ExpressionAttributeValues)).toEqual({
      ':GSI1PK': 'CAT#office',
      ':GSI1SK': 'PRODUCT#p1',
      ':entityType': 'Product',
      ':productId': 'p1',
      ':name': 'Pen',
      ':category': 'office',
      ':price': { amount: 150, currency: 'EUR' },
      ':createdAt': at,
      ':updatedAt': at,
      ':rev': rev,
    });
  });

  it('replaces a product at the expected revision and keeps its createdAt', () => {
    const params = catalog.buildPutProductParams('t', { ...pen, expectedRev: rev + 3 }, now);

    expect(params.ConditionExpression).toBe('#rev = :expectedRev');
    expect(params.UpdateExpression).not.toContain('createdAt');
    expect(params.ExpressionAttributeNames).not.toHaveProperty('#pk');
    expect(plain(params.ExpressionAttributeValues)).toMatchObject({
      ':rev': rev + 4,
      ':expectedRev': rev + 3,
    });
  });

  it('refuses a float price or a bad category', () => {
    expect(() =>
      catalog.buildPutProductParams('t', { ...pen, price: { amount: 1.5, currency: 'EUR' } }, now),
    ).toThrow(expect.objectContaining({ field: 'price.amount' }));
    expect(() => catalog.buildPutProductParams('t', { ...pen, category: 'a#b' }, now)).toThrow(
      ValidationError,
    );
  });
});

describe('product reads', () => {
  it('reads a product strongly consistent', () => {
    expect(catalog.buildGetProductParams('t', 'p1')).toEqual(
      consistentGet('PRODUCT#p1', 'METADATA'),
    );
  });

  it('queries GSI1 for a category in product order', () => {
    const startKey = {
      PK: 'PRODUCT#p1',
      SK: 'METADATA',
      GSI1PK: 'CAT#office',
      GSI1SK: 'PRODUCT#p1',
    };
    const cursor = encodeCursor(toAttributes(startKey))!;

    expect(catalog.buildListProductsByCategoryParams('t', { category: 'office', cursor })).toEqual({
      ...indexQuery('GSI1', 'CAT#office'),
      Limit: 25,
      ExclusiveStartKey: toAttributes(startKey),
    });
    expect(() =>
      catalog.buildListProductsByCategoryParams('t', { category: 'garden', cursor }),
    ).toThrow(InvalidCursorError);
  });
});

describe('sessions', () => {
  it('creates a session only if absent, expiring ttlSeconds from now', () => {
    const params = catalog.buildCreateSessionParams(
      't',
      { sessionId: 's1', userId: 'u1', ttlSeconds: 3600 },
      now,
    );

    expect(plain(params.Item)).toEqual({
      PK: 'SESSION#s1',
      SK: 'METADATA',
      entityType: 'Session',
      sessionId: 's1',
      userId: 'u1',
      ttl: seconds + 3600,
      createdAt: at,
      updatedAt: at,
      rev,
    });
    expect(params.ConditionExpression).toBe('attribute_not_exists(#pk)');
  });

  it('reads strongly consistent and revokes returning the old item', () => {
    expect(catalog.buildGetSessionParams('t', 's1')).toEqual(
      consistentGet('SESSION#s1', 'METADATA'),
    );
    expect(catalog.buildRevokeSessionParams('t', 's1')).toEqual({
      TableName: 't',
      Key: { PK: { S: 'SESSION#s1' }, SK: { S: 'METADATA' } },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('counts a session as live only strictly before its ttl', () => {
    expect(catalog.isSessionLive({ ttl: seconds + 1 }, now)).toBe(true);
    expect(catalog.isSessionLive({ ttl: seconds }, now)).toBe(false);
    expect(catalog.isSessionLive({ ttl: seconds - 1 }, now)).toBe(false);
  });

  it('refuses a non-positive lifetime', () => {
    expect(() =>
      catalog.buildCreateSessionParams('t', { sessionId: 's1', userId: 'u1', ttlSeconds: 0 }, now),
    ).toThrow(ValidationError);
  });
});

describe('product views', () => {
  it('records a view under its product, sorted by time, with a short ttl', () => {
    const params = catalog.buildRecordProductViewParams(
      't',
      { productId: 'p1', viewId: 'v1', userId: 'u1' },
      now,
      600,
    );

    expect(plain(params.Item)).toEqual({
      PK: 'PRODUCT#p1',
      SK: `VIEW#${at}#v1`,
      entityType: 'ProductView',
      productId: 'p1',
      viewId: 'v1',
      userId: 'u1',
      at,
      ttl: seconds + 600,
      createdAt: at,
      updatedAt: at,
      rev,
    });
  });

  it('queries views newest first, from an inclusive lower bound when given', () => {
    expect(catalog.buildListRecentProductViewsParams('t', { productId: 'p1' })).toMatchObject({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :low)',
      ExpressionAttributeValues: { ':pk': { S: 'PRODUCT#p1' }, ':low': { S: 'VIEW#' } },
      ScanIndexForward: false,
    });
    expect(
      catalog.buildListRecentProductViewsParams('t', { productId: 'p1', since: at }),
    ).toMatchObject({
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
      ExpressionAttributeValues: {
        ':pk': { S: 'PRODUCT#p1' },
        ':low': { S: `VIEW#${at}` },
        ':high': { S: 'VIEW#~' },
      },
    });
  });
});
