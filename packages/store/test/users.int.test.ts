import { keys } from '@pipeline/model';
import type { TestTable } from '@pipeline/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  EmailTakenError,
  InsufficientPointsError,
  NotFoundError,
  StaleRevisionError,
} from '../src/errors.js';
import type { Store } from '../src/store.js';
import { id, rawItem, tableWithStore } from './support.js';

let table: TestTable;
let store: Store;

beforeAll(async () => {
  ({ table, store } = await tableWithStore());
});

describe('users', () => {
  it('finds a created user by id and by email in any case', async () => {
    const userId = id('u');
    const created = await store.users.create({
      userId,
      email: `${userId}@Example.com`,
      name: 'Ada',
    });

    const byId = await store.users.get(userId);
    const byEmail = await store.users.getByEmail(`${userId.toUpperCase()}@EXAMPLE.COM`);

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
    await store.users.create({ userId, email, name: 'Ada' });

    await expect(
      store.users.create({ userId, email: `other-${email}`, name: 'B' }),
    ).rejects.toBeInstanceOf(AlreadyExistsError);
    await expect(store.users.create({ userId: id('u'), email, name: 'C' })).rejects.toBeInstanceOf(
      EmailTakenError,
    );
    expect(await rawItem(table, keys.emailGuard(`other-${email}`))).toBeUndefined();
  });

  it('lets exactly one of two concurrent creates with the same email win', async () => {
    const email = `${id('race')}@example.com`;
    const [first, second] = [id('u'), id('u')];

    const results = await Promise.allSettled([
      store.users.create({ userId: first, email, name: 'First' }),
      store.users.create({ userId: second, email, name: 'Second' }),
    ]);

    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result) => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(EmailTakenError);
    const profiles = [await store.users.get(first), await store.users.get(second)].filter(Boolean);
    expect(profiles).toHaveLength(1);
    expect((await store.users.getByEmail(email))?.userId).toBe(profiles[0]?.userId);
  });

  it('moves the email guard with an email change, freeing the old address', async () => {
    const userId = id('u');
    const oldEmail = `${userId}@old.example.com`;
    const newEmail = `${userId}@new.example.com`;
    const user = await store.users.create({ userId, email: oldEmail, name: 'Ada' });

    const updated = await store.users.update({
      userId,
      expectedRev: user.rev,
      email: newEmail,
      name: 'Ada L',
    });

    expect(updated).toMatchObject({ email: newEmail, name: 'Ada L' });
    expect(updated.rev).toBeGreaterThan(user.rev);
    expect(await store.users.get(userId)).toEqual(updated);
    expect(await store.users.getByEmail(newEmail)).toEqual(updated);
    expect(await store.users.getByEmail(oldEmail)).toBeUndefined();
    expect(await rawItem(table, keys.emailGuard(oldEmail))).toBeUndefined();
    await expect(
      store.users.create({ userId: id('u'), email: newEmail, name: 'X' }),
    ).rejects.toBeInstanceOf(EmailTakenError);
    await expect(
      store.users.create({ userId: id('u'), email: oldEmail, name: 'Y' }),
    ).resolves.toBeDefined();
  });

  it('refuses an email change to an address another user holds, changing nothing', async () => {
    const holder = await store.users.create({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'H',
    });
    const user = await store.users.create({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'U',
    });

    await expect(
      store.users.update({ userId: user.userId, expectedRev: user.rev, email: holder.email }),
    ).rejects.toBeInstanceOf(EmailTakenError);

    expect(await store.users.get(user.userId)).toEqual(user);
    expect((await store.users.getByEmail(user.email))?.userId).toBe(user.userId);
  });

  it('refuses an update at a stale revision', async () => {
    const userId = id('u');
    const user = await store.users.create({ userId, email: `${userId}@example.com`, name: 'Ada' });
    await store.users.update({ userId, expectedRev: user.rev, name: 'Ada 2' });

    const stale = store.users.update({ userId, expectedRev: user.rev, name: 'Ada 3' });

    await expect(stale).rejects.toBeInstanceOf(StaleRevisionError);
    expect((await store.users.get(userId))?.name).toBe('Ada 2');
  });

  it('refuses an update of a missing user', async () => {
    await expect(
      store.users.update({ userId: id('ghost'), expectedRev: 1, name: 'X' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('deletes profile and guard together, and a re-created user gets a higher revision', async () => {
    const userId = id('u');
    const email = `${userId}@example.com`;
    const first = await store.users.create({ userId, email, name: 'Ada' });
    const updated = await store.users.update({ userId, expectedRev: first.rev, name: 'Ada 2' });

    await store.users.delete(userId, updated.rev);
    expect(await store.users.get(userId)).toBeUndefined();
    expect(await rawItem(table, keys.emailGuard(email))).toBeUndefined();
    const again = await store.users.create({ userId, email, name: 'Ada' });

    expect(again.rev).toBeGreaterThan(updated.rev);
  });
});

describe('loyalty points', () => {
  const twoUsers = async (points: number) => {
    const from = await store.users.create({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'F',
      loyaltyPoints: points,
    });
    const to = await store.users.create({
      userId: id('u'),
      email: `${id('e')}@example.com`,
      name: 'T',
      loyaltyPoints: 5,
    });
    return { from, to };
  };

  it('moves points between two users and raises both revisions', async () => {
    const { from, to } = await twoUsers(100);

    await store.users.transferLoyaltyPoints({ from: from.userId, to: to.userId, points: 40 });

    const [sender, receiver] = [
      await store.users.get(from.userId),
      await store.users.get(to.userId),
    ];
    expect(sender?.loyaltyPoints).toBe(60);
    expect(receiver?.loyaltyPoints).toBe(45);
    expect(sender!.rev).toBeGreaterThan(from.rev);
    expect(receiver!.rev).toBeGreaterThan(to.rev);
  });

  it('changes nothing when the sender has too few points', async () => {
    const { from, to } = await twoUsers(30);

    const transfer = store.users.transferLoyaltyPoints({
      from: from.userId,
      to: to.userId,
      points: 31,
    });

    await expect(transfer).rejects.toBeInstanceOf(InsufficientPointsError);
    expect(await store.users.get(from.userId)).toEqual(from);
    expect(await store.users.get(to.userId)).toEqual(to);
  });

  it('changes nothing when the receiver does not exist', async () => {
    const { from } = await twoUsers(30);

    const transfer = store.users.transferLoyaltyPoints({
      from: from.userId,
      to: id('ghost'),
      points: 10,
    });

    await expect(transfer).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.users.get(from.userId)).toEqual(from);
  });
});
