import type {
  GetItemCommandInput,
  QueryCommandInput,
  TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { EntityType, emailSchema, IndexName, idSchema, keys, type User } from '@pipeline/model';
import { auditOfNew, consistentGet, toAttributes, toItem } from './items.js';
import { nextRev } from './rev.js';
import {
  type CreateUserInput,
  createUserInputSchema,
  parseInput,
  type TransferPointsInput,
  transferPointsInputSchema,
  type UpdateUserInput,
  updateUserInputSchema,
} from './validation.js';

const NOT_EXISTS = 'attribute_not_exists(#pk)';

/** The delete of the guard reserving `email`, only while `userId` still holds it. */
const releaseEmailGuard = (tableName: string, email: string, userId: string) => ({
  Delete: {
    TableName: tableName,
    Key: toAttributes(keys.emailGuard(email)),
    ConditionExpression: '#userId = :userId',
    ExpressionAttributeNames: { '#userId': 'userId' },
    ExpressionAttributeValues: toAttributes({ ':userId': userId }),
  },
});

/**
 * Builds the transaction that creates a user and the guard item reserving its email;
 * either both are written or neither.
 *
 * @example
 * await client.send(new TransactWriteItemsCommand(
 *   buildCreateUserParams('orders', { userId: 'u1', email: 'ada@example.com', name: 'Ada' }, new Date()),
 * ));
 */
export const buildCreateUserParams = (
  tableName: string,
  input: CreateUserInput,
  now: Date,
): TransactWriteItemsCommandInput => {
  const user = parseInput(createUserInputSchema, input);
  const audit = auditOfNew(now, nextRev(now));
  return {
    TransactItems: [
      {
        Put: {
          TableName: tableName,
          Item: toItem({
            ...keys.user(user.userId),
            ...keys.userByEmail(user.email),
            entityType: EntityType.user,
            ...user,
            ...audit,
          }),
          ConditionExpression: NOT_EXISTS,
          ExpressionAttributeNames: { '#pk': 'PK' },
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: toItem({
            ...keys.emailGuard(user.email),
            entityType: EntityType.emailGuard,
            email: user.email,
            userId: user.userId,
            ...audit,
          }),
          ConditionExpression: NOT_EXISTS,
          ExpressionAttributeNames: { '#pk': 'PK' },
        },
      },
    ],
  };
};

/**
 * Builds the strongly consistent read of one user profile.
 *
 * @example
 * buildGetUserParams('orders', 'u1')
 */
export const buildGetUserParams = (tableName: string, userId: string): GetItemCommandInput =>
  consistentGet(tableName, keys.user(parseInput(idSchema, userId)));

/**
 * Builds the GSI1 query for the one user holding an email address.
 *
 * @example
 * buildGetUserByEmailParams('orders', 'Ada@Example.com') // queries EMAIL#ada@example.com
 */
export const buildGetUserByEmailParams = (tableName: string, email: string): QueryCommandInput => {
  const key = keys.userByEmail(parseInput(emailSchema, email));
  return {
    TableName: tableName,
    IndexName: IndexName.gsi1,
    KeyConditionExpression: '#gsi1pk = :gsi1pk AND #gsi1sk = :gsi1sk',
    ExpressionAttributeNames: { '#gsi1pk': 'GSI1PK', '#gsi1sk': 'GSI1SK' },
    ExpressionAttributeValues: toAttributes({ ':gsi1pk': key.GSI1PK, ':gsi1sk': key.GSI1SK }),
  };
};

/**
 * Builds the transaction that changes a user's name or email at the revision the caller
 * read. A new email moves the guard in the same transaction: the old guard is deleted
 * only if it is still this user's, and the new one is written only if it is free.
 *
 * @example
 * buildUpdateUserParams('orders', currentUser, { userId: 'u1', expectedRev: currentUser.rev, email: 'new@example.com' }, new Date())
 */
export const buildUpdateUserParams = (
  tableName: string,
  current: User,
  input: UpdateUserInput,
  now: Date,
): TransactWriteItemsCommandInput => {
  const change = parseInput(updateUserInputSchema, input);
  const email = change.email ?? current.email;
  const name = change.name ?? current.name;
  const rev = nextRev(now, change.expectedRev);
  const updatedAt = now.toISOString();
  const emailMoves = email !== current.email;
  const update = {
    Update: {
      TableName: tableName,
      Key: toAttributes(keys.user(change.userId)),
      UpdateExpression:
        'SET #name = :name, #email = :email, #gsi1pk = :gsi1pk, #updatedAt = :updatedAt, #rev = :rev',
      ConditionExpression: '#rev = :expectedRev',
      ExpressionAttributeNames: {
        '#name': 'name',
        '#email': 'email',
        '#gsi1pk': 'GSI1PK',
        '#updatedAt': 'updatedAt',
        '#rev': 'rev',
      },
      ExpressionAttributeValues: toAttributes({
        ':name': name,
        ':email': email,
        ':gsi1pk': keys.userByEmail(email).GSI1PK,
        ':updatedAt': updatedAt,
        ':rev': rev,
        ':expectedRev': change.expectedRev,
      }),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    },
  };
  if (!emailMoves) return { TransactItems: [update] };
  return {
    TransactItems: [
      update,
      releaseEmailGuard(tableName, current.email, change.userId),
      {
        Put: {
          TableName: tableName,
          Item: toItem({
            ...keys.emailGuard(email),
            entityType: EntityType.emailGuard,
            email,
            userId: change.userId,
            ...auditOfNew(now, nextRev(now)),
          }),
          ConditionExpression: NOT_EXISTS,
          ExpressionAttributeNames: { '#pk': 'PK' },
        },
      },
    ],
  };
};

/**
 * Builds the transaction that deletes a user's profile and email guard together, only
 * while the profile is still at `expectedRev`.
 *
 * @example
 * buildDeleteUserParams('orders', currentUser, currentUser.rev)
 */
export const buildDeleteUserParams = (
  tableName: string,
  current: User,
  expectedRev: number,
): TransactWriteItemsCommandInput => ({
  TransactItems: [
    {
      Delete: {
        TableName: tableName,
        Key: toAttributes(keys.user(current.userId)),
        ConditionExpression: '#rev = :expectedRev',
        ExpressionAttributeNames: { '#rev': 'rev' },
        ExpressionAttributeValues: toAttributes({ ':expectedRev': expectedRev }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    releaseEmailGuard(tableName, current.email, current.userId),
  ],
});

/**
 * Builds the transaction that moves loyalty points between two users. The sender's
 * balance is checked in the same transaction, so a low balance cancels both sides.
 * Neither side is read first, so each revision rises by one rather than to the clock.
 *
 * @example
 * buildTransferPointsParams('orders', { from: 'u1', to: 'u2', points: 50 }, new Date())
 */
export const buildTransferPointsParams = (
  tableName: string,
  input: TransferPointsInput,
  now: Date,
): TransactWriteItemsCommandInput => {
  const { from, to, points } = parseInput(transferPointsInputSchema, input);
  const names = {
    '#pk': 'PK',
    '#points': 'loyaltyPoints',
    '#rev': 'rev',
    '#updatedAt': 'updatedAt',
  };
  const values = { ':points': points, ':one': 1, ':updatedAt': now.toISOString() };
  return {
    TransactItems: [
      {
        Update: {
          TableName: tableName,
          Key: toAttributes(keys.user(from)),
          UpdateExpression:
            'SET #points = #points - :points, #rev = #rev + :one, #updatedAt = :updatedAt',
          ConditionExpression: 'attribute_exists(#pk) AND #points >= :points',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toAttributes(values),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: tableName,
          Key: toAttributes(keys.user(to)),
          UpdateExpression:
            'SET #points = #points + :points, #rev = #rev + :one, #updatedAt = :updatedAt',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: toAttributes(values),
        },
      },
    ],
  };
};
