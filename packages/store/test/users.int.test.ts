import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { keys } from '@pipeline/model';
import { createMainTable, type TestTable } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  EmailTakenError,
  InsufficientPointsError,
  NotFoundError,
  StaleRevisionError,
} from '../src/errors.js';
import { toAttributes } from '../src/items.js';
import { createStore, type Store } from '../src/store.js';

let table: TestTable;
let store: Store;
let seq = 0;
/** A fresh id per test, so tests sharing the table never collide. */
const id = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${seq++}`;

const rawItem = async (key: { PK: string; SK: string }) =>
  (
    await table.client.send(
      new GetItemCommand({
        TableName: table.tableName,
        Key: toAttributes(key),
        ConsistentRead: true,
      }),
    )
  ).Item;

beforeAll(async () => {
  table = await createMainTable();
  store = createStore({ tableName: table.tableName, client: table.client });
});

describe('users', () => {
  it('finds a created user by id and by email in any case', async () => {
    const userId = id('u');
    const created = await store.createUser({ userId, email: `${userId}@Example.com`, name: 'Ada' });

    const byId = await store.getUser(userId);
    const byEmail = await store.getUserByEmail(`${userId.toUpperCase()}@EXAMPLE.COM`);

    expect(byId).toEqual(created);
    expect(byEmail).toEqual(created);
    expect(created).toMatchObject({
      entityType: 'User',
      email: `${userId}@example.com`,
      loyaltyPoints: 0,
    });
    expect(created.rev).toBeGreaterThan(0);
  });

  it('refuses a second user with the same id or the same email', async () => {
    const userId = id('u');
    const email = `${userId}@example.com`;
    await store.createUser({ userId, email, name: 'Ada' });

    await expect(
      store.createUser({ userId, email: `other-${email}`, name: 'B' }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(store.createUser({ userId: id('u'), email, name: 'C' })).rejects.toBeInstanceOf(
      EmailTakenError,
    );
    expect(await rawItem(keys.emailGuard(`other-${email}`))).toBeUndefined();
  });

  it('lets exactly one of two concurrent creates with the same email win', async () => {
    const email = `${id('race')}@example.com`;
    const [first, second] = [id('u'), id('u')];

    const results = await Promise.allSettled([
      store.createUser({ userId: first, email, name: 'First' }),
      store.createUser({ userId: second, email, name: 'Second' }),
    ]);

    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(EmailTakenError);
    const profiles = [await store.getUser(first), await store.getUser(second)].filter(Boolean);
    expect(profiles).toHaveLength(1);
    expect((await store.getUserByEmail(email))?.userId).toBe(profiles[0]?.userId);
  });

  it('moves the email guard with an email change, freeing the old address', async () => {
    const userId = id('u');
    const oldEmail = `${userId}@old.example.com`;
    const newEmail = `${userId}@new.example.com`;
    const user = await store.createUser({ userId, email: oldEmail, name: 'Ada' });

    const updated = await store.updateUser({
      userId,
      expectedRev: user.rev,
      email: newEmail,
      name: 'Ada L',
    });

    expect(updated).toMatchObject({ email: newEmail, name: 'Ada L' });
    expect(updated.rev).toBeGreaterThan(user.rev);
    expect(await store.getUser(userId)).toEqual(updated);
    expect(await store.getUserByEmail(newEmail)).toEqual(updated);
    expect(await store.getUserByEmail(oldEmail)).toBeUndefined();
    expect(await rawItem(keys.emailGuard(oldEmail))).toBeUndefined();
    await expect(
      store.createUser({ userId: id('u'), email: newEmail, name: 'X' }),
    ).rejects.toBeInstanceOf(EmailTakenError);
    await expect(
      store.createUser({ userId: id('u'), email: oldEmail, name: 'Y' }),
    ).resolves.toBeDefined();
  });

  it('refuses an email change to an address another user holds, changing nothing', async () => {
    const holder = await store.createUser({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'H',
    });
    const user = await store.createUser({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'U',
    });

    await expect(
      store.updateUser({ userId: user.userId, expectedRev: user.rev, email: holder.email }),
    ).rejects.toBeInstanceOf(EmailTakenError);

    expect(await store.getUser(user.userId)).toEqual(user);
    expect((await store.getUserByEmail(user.email))?.userId).toBe(user.userId);
  });

  it('refuses an update at a stale revision', async () => {
    const userId = id('u');
    const user = await store.createUser({ userId, email: `${userId}@example.com`, name: 'Ada' });
    await store.updateUser({ userId, expectedRev: user.rev, name: 'Ada 2' });

    const stale = store.updateUser({ userId, expectedRev: user.rev, name: 'Ada 3' });

    await expect(stale).rejects.toBeInstanceOf(StaleRevisionError);
    expect((await store.getUser(userId))?.name).toBe('Ada 2');
  });

  it('refuses an update of a missing user', async () => {
    await expect(
      store.updateUser({ userId: id('ghost'), expectedRev: 1, name: 'X' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('deletes profile and guard together, and a re-created user gets a higher revision', async () => {
    const userId = id('u');
    const email = `${userId}@example.com`;
    const first = await store.createUser({ userId, email, name: 'Ada' });
    const updated = await store.updateUser({ userId, expectedRev: first.rev, name: 'Ada 2' });

    await store.deleteUser(userId, updated.rev);
    expect(await store.getUser(userId)).toBeUndefined();
    expect(await rawItem(keys.emailGuard(email))).toBeUndefined();
    const again = await store.createUser({ userId, email, name: 'Ada' });

    expect(again.rev).toBeGreaterThan(updated.rev);
  });
});

describe('loyalty points', () => {
  const twoUsers = async (points: number) => {
    const from = await store.createUser({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'F',
      loyaltyPoints: points,
    });
    const to = await store.createUser({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'T',
      loyaltyPoints: 5,
    });
    return { from, to };
  };

  it('moves points between two users and raises both revisions', async () => {
    const { from, to } = await twoUsers(100);

    await store.transferLoyaltyPoints({ from: from.userId, to: to.userId, points: 40 });

    const [sender, receiver] = [await store.getUser(from.userId), await store.getUser(to.userId)];
    expect(sender?.loyaltyPoints).toBe(60);
    expect(receiver?.loyaltyPoints).toBe(45);
    expect(sender!.rev).toBeGreaterThan(from.rev);
    expect(receiver!.rev).toBeGreaterThan(to.rev);
  });

  it('changes nothing when the sender has too few points', async () => {
    const { from, to } = await twoUsers(30);

    const transfer = store.transferLoyaltyPoints({ from: from.userId, to: to.userId, points: 31 });

    await expect(transfer).rejects.toBeInstanceOf(InsufficientPointsError);
    expect(await store.getUser(from.userId)).toEqual(from);
    expect(await store.getUser(to.userId)).toEqual(to);
  });

  it('changes nothing when the receiver does not exist', async () => {
    const { from } = await twoUsers(30);

    const transfer = store.transferLoyaltyPoints({
      from: from.userId,
      to: id('ghost'),
      points: 10,
    });

    await expect(transfer).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.getUser(from.userId)).toEqual(from);
  });
});
