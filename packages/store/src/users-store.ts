import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { EntityType, type User, userSchema } from '@pipeline/model';
import { expectCurrent, revAtFirstAction, type StoreContext, staleRevisionAt } from './context.js';
import {
  AlreadyExistsError,
  EmailTakenError,
  InsufficientPointsError,
  NotFoundError,
  StaleRevisionError,
} from './errors.js';
import { fromItem } from './items.js';
import { nextRev } from './rev.js';
import { conditionFailedAt } from './transactions.js';
import {
  buildCreateUserParams,
  buildDeleteUserParams,
  buildGetUserByEmailParams,
  buildGetUserParams,
  buildTransferPointsParams,
  buildUpdateUserParams,
} from './users.js';
import {
  type CreateUserInput,
  parseInput,
  type TransferPointsInput,
  type UpdateUserInput,
  updateUserInputSchema,
} from './validation.js';

/** The users of the store: profiles with their email guards, and loyalty points. */
export interface UserStore {
  /** Creates a user and reserves its email; fails with AlreadyExistsError or EmailTakenError. */
  create(input: CreateUserInput): Promise<User>;
  /** A user by id, or `undefined`. */
  get(userId: string): Promise<User | undefined>;
  /** The user holding an email address (matched case-insensitively), or `undefined`. */
  getByEmail(email: string): Promise<User | undefined>;
  /** Changes a user's name or email at the revision the caller read; a new email moves the guard atomically. */
  update(input: UpdateUserInput): Promise<User>;
  /** Deletes a user's profile and email guard together; `expectedRev` makes it conditional on that revision. */
  delete(userId: string, expectedRev?: number): Promise<void>;
  /** Moves loyalty points between two users atomically; on a low balance nothing changes. */
  transferLoyaltyPoints(input: TransferPointsInput): Promise<void>;
}

/** The {@link UserStore} of a table. */
export const createUserStore = (context: StoreContext): UserStore => {
  const { tableName, client, clock, getOne, transact } = context;
  const get = async (userId: string): Promise<User | undefined> =>
    getOne(userSchema, buildGetUserParams(tableName, userId));

  return {
    async create(input) {
      const params = buildCreateUserParams(tableName, input, clock());
      await transact(params, (reasons, error) => {
        const user = params.TransactItems?.[0]?.Put?.Item?.userId?.S ?? '';
        if (conditionFailedAt(reasons, 0)) {
          return new AlreadyExistsError(EntityType.user, user, { cause: error });
        }
        if (conditionFailedAt(reasons, 1)) return new EmailTakenError({ cause: error });
        return undefined;
      });
      return fromItem(userSchema, params.TransactItems?.[0]?.Put?.Item ?? {});
    },

    get,

    async getByEmail(email) {
      const response = await client.send(
        new QueryCommand(buildGetUserByEmailParams(tableName, email)),
      );
      const item = response.Items?.[0];
      return item ? fromItem(userSchema, item) : undefined;
    },

    async update(input) {
      const change = parseInput(updateUserInputSchema, input);
      const { userId, expectedRev } = change;
      const current = expectCurrent(EntityType.user, userId, await get(userId), expectedRev);
      const now = clock();
      await transact(buildUpdateUserParams(tableName, current, input, now), (reasons, error) => {
        if (conditionFailedAt(reasons, 0) || conditionFailedAt(reasons, 1)) {
          const actual = revAtFirstAction(reasons);
          return actual === undefined && conditionFailedAt(reasons, 0)
            ? new NotFoundError(EntityType.user, userId, { cause: error })
            : new StaleRevisionError(EntityType.user, userId, expectedRev, actual, {
                cause: error,
              });
        }
        if (conditionFailedAt(reasons, 2)) return new EmailTakenError({ cause: error });
        return undefined;
      });
      return userSchema.parse({
        ...current,
        name: change.name ?? current.name,
        email: change.email ?? current.email,
        updatedAt: now.toISOString(),
        rev: nextRev(now, expectedRev),
      });
    },

    async delete(userId, expectedRev) {
      const current = expectCurrent(EntityType.user, userId, await get(userId), expectedRev);
      await transact(
        buildDeleteUserParams(tableName, current, current.rev),
        staleRevisionAt(EntityType.user, userId, current.rev, [0, 1]),
      );
    },

    async transferLoyaltyPoints(input) {
      await transact(buildTransferPointsParams(tableName, input, clock()), (reasons, error) => {
        if (conditionFailedAt(reasons, 0)) {
          return reasons?.[0]?.item
            ? new InsufficientPointsError(input.from, input.points, { cause: error })
            : new NotFoundError(EntityType.user, input.from, { cause: error });
        }
        if (conditionFailedAt(reasons, 1)) {
          return new NotFoundError(EntityType.user, input.to, { cause: error });
        }
        return undefined;
      });
    },
  };
};
