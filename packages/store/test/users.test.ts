import type { User } from '@pipeline/model';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/errors.js';
import * as users from '../src/users.js';
import { consistentGet, expectRefused, now, plain, resolved, rev } from './support.js';

const ada: User = {
  entityType: 'User',
  userId: 'u1',
  email: 'ada@example.com',
  name: 'Ada',
  loyaltyPoints: 10,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
  rev: 5,
};

describe('buildCreateUserParams', () => {
  it('puts the profile and the email guard, each only if absent, under the email trimmed and lower-cased', () => {
    const email = ' Ada@Example.COM ';
    const params = users.buildCreateUserParams('t', { userId: 'u1', email, name: 'Ada' }, now);

    const [profile, guard] = params.TransactItems ?? [];
    expect(plain(profile?.Put?.Item)).toEqual({
      PK: 'USER#u1',
      SK: 'PROFILE',
      GSI1PK: 'EMAIL#ada@example.com',
      GSI1SK: 'PROFILE',
      entityType: 'User',
      userId: 'u1',
      email: 'ada@example.com',
      name: 'Ada',
      loyaltyPoints: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      rev,
    });
    expect(plain(guard?.Put?.Item)).toEqual({
      PK: 'EMAIL#ada@example.com',
      SK: 'EMAIL',
      entityType: 'EmailGuard',
      email: 'ada@example.com',
      userId: 'u1',
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      rev,
    });
    for (const action of [profile, guard]) {
      expect(action?.Put).toMatchObject({
        TableName: 't',
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'PK' },
      });
    }
  });

  it.each([
    [{ userId: 'u#1', email: 'a@example.com', name: 'A' }, 'userId'],
    [{ userId: 'u1', email: 'not-an-email', name: 'A' }, 'email'],
    [{ userId: 'u1', email: 'a@example.com', name: ' ' }, 'name'],
    [{ userId: 'u1', email: 'a@example.com', name: 'A', loyaltyPoints: 1.5 }, 'loyaltyPoints'],
  ])('refuses %o naming the field %s', (input, field) => {
    expectRefused(() => users.buildCreateUserParams('t', input, now), field);
  });
});

describe('reads', () => {
  it('reads a user by id with strong consistency', () => {
    expect(users.buildGetUserParams('t', 'u1')).toEqual(consistentGet('USER#u1', 'PROFILE'));
  });

  it('queries GSI1 for a user by lower-cased email, with aliased names', () => {
    expect(users.buildGetUserByEmailParams('t', 'Ada@Example.com')).toEqual({
      TableName: 't',
      IndexName: 'GSI1',
      KeyConditionExpression: '#gsi1pk = :gsi1pk AND #gsi1sk = :gsi1sk',
      ExpressionAttributeNames: { '#gsi1pk': 'GSI1PK', '#gsi1sk': 'GSI1SK' },
      ExpressionAttributeValues: {
        ':gsi1pk': { S: 'EMAIL#ada@example.com' },
        ':gsi1sk': { S: 'PROFILE' },
      },
    });
  });

  it('refuses an invalid id or email', () => {
    expect(() => users.buildGetUserParams('t', '')).toThrow(ValidationError);
    expect(() => users.buildGetUserByEmailParams('t', 'nope')).toThrow(ValidationError);
  });
});

describe('buildUpdateUserParams', () => {
  const updateAda = (change: { name?: string; email?: string }) =>
    users.buildUpdateUserParams('t', ada, { userId: 'u1', expectedRev: 5, ...change }, now);

  it('changes the name alone in one conditional update with a higher revision', () => {
    const params = updateAda({ name: 'Ada L' });

    expect(params.TransactItems).toHaveLength(1);
    const update = params.TransactItems?.[0]?.Update;
    expect(update?.ConditionExpression).toBe('#rev = :expectedRev');
    expect(update?.UpdateExpression).toBe(
      'SET #name = :name, #email = :email, #gsi1pk = :gsi1pk, #updatedAt = :updatedAt, #rev = :rev',
    );
    expect(plain(update?.ExpressionAttributeValues)).toEqual({
      ':name': 'Ada L',
      ':email': 'ada@example.com',
      ':gsi1pk': 'EMAIL#ada@example.com',
      ':updatedAt': now.toISOString(),
      ':rev': rev,
      ':expectedRev': 5,
    });
  });

  it('moves the guard with a new email: delete the old one if still ours, put the new one if free', () => {
    const params = updateAda({ email: 'New@Example.com' });

    const [update, release, reserve] = params.TransactItems ?? [];
    expect(plain(update?.Update?.ExpressionAttributeValues)).toMatchObject({
      ':email': 'new@example.com',
      ':gsi1pk': 'EMAIL#new@example.com',
    });
    expect(release?.Delete).toMatchObject({
      Key: { PK: { S: 'EMAIL#ada@example.com' }, SK: { S: 'EMAIL' } },
      ConditionExpression: '#userId = :userId',
      ExpressionAttributeValues: { ':userId': { S: 'u1' } },
    });
    expect(plain(reserve?.Put?.Item)).toMatchObject({
      PK: 'EMAIL#new@example.com',
      SK: 'EMAIL',
      userId: 'u1',
      entityType: 'EmailGuard',
    });
    expect(reserve?.Put?.ConditionExpression).toBe('attribute_not_exists(#pk)');
  });

  it('raises the revision past the expected one when the clock lags behind it', () => {
    const params = users.buildUpdateUserParams(
      't',
      { ...ada, rev: rev + 7 },
      { userId: 'u1', expectedRev: rev + 7, name: 'X' },
      now,
    );

    expect(plain(params.TransactItems?.[0]?.Update?.ExpressionAttributeValues)[':rev']).toBe(
      rev + 8,
    );
  });

  it('refuses an update that changes nothing', () => {
    expect(() => updateAda({})).toThrow(ValidationError);
  });
});

describe('buildDeleteUserParams', () => {
  it('deletes the profile at the expected revision and the guard only if it is the user’s', () => {
    const params = users.buildDeleteUserParams('t', ada, 5);

    expect(
      params.TransactItems?.map((action) => ({ ...action, Delete: resolved(action.Delete) })),
    ).toEqual([
      {
        Delete: {
          TableName: 't',
          Key: { PK: { S: 'USER#u1' }, SK: { S: 'PROFILE' } },
          ConditionExpression: 'rev = 5',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Delete: {
          TableName: 't',
          Key: { PK: { S: 'EMAIL#ada@example.com' }, SK: { S: 'EMAIL' } },
          ConditionExpression: 'userId = "u1"',
        },
      },
    ]);
  });
});

describe('buildTransferPointsParams', () => {
  it('debits the sender only if the balance covers it and credits an existing receiver', () => {
    const params = users.buildTransferPointsParams('t', { from: 'u1', to: 'u2', points: 25 }, now);

    const [debit, credit] = params.TransactItems ?? [];
    expect(debit?.Update).toMatchObject({
      Key: { PK: { S: 'USER#u1' }, SK: { S: 'PROFILE' } },
      UpdateExpression:
        'SET #points = #points - :points, #rev = #rev + :one, #updatedAt = :updatedAt',
      ConditionExpression: 'attribute_exists(#pk) AND #points >= :points',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(credit?.Update).toMatchObject({
      Key: { PK: { S: 'USER#u2' }, SK: { S: 'PROFILE' } },
      UpdateExpression:
        'SET #points = #points + :points, #rev = #rev + :one, #updatedAt = :updatedAt',
      ConditionExpression: 'attribute_exists(#pk)',
    });
    expect(plain(debit?.Update?.ExpressionAttributeValues)).toEqual({
      ':points': 25,
      ':one': 1,
      ':updatedAt': now.toISOString(),
    });
  });

  it.each([
    [{ from: 'u1', to: 'u1', points: 1 }, 'to'],
    [{ from: 'u1', to: 'u2', points: 0 }, 'points'],
    [{ from: 'u1', to: 'u2', points: 2.5 }, 'points'],
    [{ from: 'u1', to: 'u2', points: -3 }, 'points'],
  ])('refuses %o', (input, field) => {
    expectRefused(() => users.buildTransferPointsParams('t', input, now), field);
  });
});
