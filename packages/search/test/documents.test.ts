import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DocumentWrite,
  orderMarker,
  orderMarkerVersion,
  orderVersion,
  projectUser,
  userMarker,
} from '../src/documents.js';
import { projectOrder } from '../src/index.js';
import { deletedUserVersionOf } from '../src/reads.js';

const CREATED = '2024-05-01T00:00:00.000Z';
/** The first rev of an order created at CREATED: createdAt in µs. */
const C = Date.parse(CREATED) * 1000;

const header = (rev: number, status = 'paid', createdAt = CREATED, userId = 'u1') => ({
  PK: `USER#${userId}`,
  SK: `ORDER#${createdAt}#o1`,
  orderId: 'o1',
  userId,
  status,
  createdAt,
  updatedAt: createdAt,
  total: { amount: 1_250, currency: 'EUR' },
  itemCount: 2,
  flagged: false,
  loyaltyPoints: 3,
  rev,
});
const line = (productId: string, rev: number) => ({ productId, name: `Name ${productId}`, rev });
const user = (rev: number, name = 'Ada', userId = 'u1') => ({
  userId,
  name,
  email: 'ada@example.com',
  createdAt: '2024-01-01T00:00:00.000Z',
  loyaltyPoints: 9,
  rev,
});

describe('projectOrder', () => {
  it('copies only the searchable fields, lines by product id, and the customer name and email', () => {
    const write = projectOrder({
      header: header(C + 10),
      lines: [line('p2', C), line('p1', C)],
      user: user(C + 4),
    });
    expect(write).toEqual({
      kind: 'orders',
      id: 'o1',
      version: C + 10 + C + C + 4,
      source: {
        orderId: 'o1',
        userId: 'u1',
        status: 'paid',
        createdAt: CREATED,
        updatedAt: CREATED,
        total: { amount: 1_250, currency: 'EUR' },
        itemProductIds: ['p1', 'p2'],
        itemNames: ['Name p1', 'Name p2'],
        customerName: 'Ada',
        customerEmail: 'ada@example.com',
        revs: { order: C + 10, user: C + 4, items: C },
        deleted: false,
        version: C + 10 + C + C + 4,
      },
    });
  });

  it('counts a profile older than the order as the order itself', () => {
    const write = projectOrder({ header: header(C + 10), lines: [line('p1', C)], user: user(7) });
    expect(write.version).toBe(C + 10 + C + C - 1);
    expect(write.source).toMatchObject({ revs: { user: 7 } });
  });

  it('leaves customer fields out when the profile is gone, one above the profile it replaces', () => {
    const named = projectOrder({ header: header(C + 10), lines: [line('p1', C)], user: user(7) });
    const known = projectOrder({
      header: header(C + 10),
      lines: [line('p1', C)],
      user: undefined,
      deletedUserVersion: 8,
    });
    const unknown = projectOrder({
      header: header(C + 10),
      lines: [line('p1', C)],
      user: undefined,
    });
    expect(known.source).not.toHaveProperty('customerName');
    expect(known.source).not.toHaveProperty('customerEmail');
    expect(known.version).toBe(named.version + 1);
    expect(unknown.version).toBe(named.version + 1);
    expect(known.source).toMatchObject({ revs: { user: 8 } });
  });

  it('uses the deleted-marker version once the customer renamed after ordering', () => {
    const named = projectOrder({
      header: header(C + 10),
      lines: [line('p1', C)],
      user: user(C + 500),
    });
    const gone = projectOrder({
      header: header(C + 10),
      lines: [line('p1', C)],
      user: undefined,
      deletedUserVersion: C + 501,
    });
    expect(gone.version).toBe(named.version + 1);
  });

  it("leaves out lines newer than the header, which belong to the id's next incarnation", () => {
    const write = projectOrder({
      header: header(C + 10),
      lines: [line('p1', C), line('p9', C + 11)],
      user: user(7),
    });
    expect(write.source).toMatchObject({ itemProductIds: ['p1'], revs: { items: C } });
  });

  it('orders a rename racing a status change in the same millisecond by what each projection read', () => {
    // Both writes land in one millisecond, so the header and the profile get the same rev.
    const tick = C + 5_000;
    const sawStatus = projectOrder({
      header: header(tick, 'shipped'),
      lines: [line('p1', C)],
      user: user(C + 1_000, 'Ada'),
    });
    const sawRename = projectOrder({
      header: header(C + 2_000, 'paid'),
      lines: [line('p1', C)],
      user: user(tick, 'Ada King'),
    });
    const sawBoth = projectOrder({
      header: header(tick, 'shipped'),
      lines: [line('p1', C)],
      user: user(tick, 'Ada King'),
    });
    expect(sawBoth.version).toBeGreaterThan(sawStatus.version);
    expect(sawBoth.version).toBeGreaterThan(sawRename.version);
  });

  it('refuses an item without the fields a document needs', () => {
    expect(() =>
      projectOrder({
        header: { ...header(C), total: { amount: 1.5, currency: 'EUR' } },
        lines: [],
        user: undefined,
      }),
    ).toThrowError(expect.objectContaining({ code: 'search.invalidSourceItem', field: 'total' }));
    expect(() =>
      projectOrder({
        header: { ...header(C), createdAt: 'yesterday' },
        lines: [],
        user: undefined,
      }),
    ).toThrowError(
      expect.objectContaining({ code: 'search.invalidSourceItem', field: 'createdAt' }),
    );
  });
});

/** What a customer's profile is at one moment: present at a rev with a name, or deleted. */
type Profile =
  | { readonly present: true; readonly rev: number; readonly name: string }
  | { readonly present: false; readonly markerVersion: number };

/** One state of an order's sources, after each write. */
interface State {
  /** The clock, in ms, when this state was written. */
  readonly ms: number;
  readonly headerRev: number;
  readonly status: string;
  readonly profile: Profile;
}

const Step = { status: 0, rename: 1, transfer: 2, deleteUser: 3, recreateUser: 4 } as const;

/**
 * Writes after the order's creation, each a step of 0–3 ms later: status changes, renames,
 * point transfers (rev + 1, same content), user deletes and re-creates. Revs follow the
 * store: max(now in ms × 1000, previous + 1); a re-created profile starts from the clock.
 */
const timeline = fc.record({
  profileAgeMs: fc.integer({ min: 0, max: 10 ** 10 }),
  steps: fc.array(
    fc.tuple(fc.constantFrom(...Object.values(Step)), fc.integer({ min: 0, max: 3 })),
    { minLength: 1, maxLength: 25 },
  ),
});

const simulate = (input: { profileAgeMs: number; steps: [number, number][] }): State[] => {
  let ms = C / 1000;
  let state: State = {
    ms,
    headerRev: C,
    status: 's0',
    profile: { present: true, rev: C - input.profileAgeMs * 1000, name: 'n0' },
  };
  const states = [state];
  input.steps.forEach(([step, elapsed], k) => {
    ms += elapsed;
    const next = (rev: number) => Math.max(ms * 1000, rev + 1);
    const { profile } = state;
    if (step === Step.status)
      state = { ...state, headerRev: next(state.headerRev), status: `s${k + 1}` };
    else if (step === Step.rename && profile.present)
      state = { ...state, profile: { present: true, rev: next(profile.rev), name: `n${k + 1}` } };
    else if (step === Step.transfer && profile.present)
      state = { ...state, profile: { ...profile, rev: profile.rev + 1 } };
    else if (step === Step.deleteUser && profile.present)
      state = { ...state, profile: { present: false, markerVersion: profile.rev + 1 } };
    else if (step === Step.recreateUser && !profile.present) {
      // A new item's first rev is the clock's; creating it in the millisecond of its
      // deletion is the one case revs cannot order (see rev.ts), so it comes a tick later.
      ms += 1;
      state = { ...state, profile: { present: true, rev: ms * 1000, name: `n${k + 1}` } };
    }
    state = { ...state, ms };
    states.push(state);
  });
  return states;
};

/** A projection that read the header in one state and the profile in another. */
const projectMixed = (headerState: State, profileState: State, knowDeletion = true) => {
  const { profile } = profileState;
  return projectOrder({
    header: header(headerState.headerRev, headerState.status),
    lines: [line('p1', C)],
    user: profile.present ? user(profile.rev, profile.name) : undefined,
    ...(!profile.present && knowDeletion ? { deletedUserVersion: profile.markerVersion } : {}),
  });
};

const content = (write: DocumentWrite) => {
  const {
    revs: _revs,
    version: _version,
    ...rest
  } = write.source as unknown as Record<string, unknown>;
  return JSON.stringify(rest);
};

describe('order versions', () => {
  it('gives the state after the last write a version above every mix of states a racing projection could read', () => {
    fc.assert(
      fc.property(timeline, fc.array(fc.tuple(fc.nat(), fc.nat())), (input, picks) => {
        const states = simulate(input);
        const last = states[states.length - 1]!;
        const latest = projectMixed(last, last);
        for (const [h, p] of picks) {
          const snapshot = projectMixed(states[h % states.length]!, states[p % states.length]!);
          if (content(snapshot) !== content(latest))
            expect(snapshot.version).toBeLessThan(latest.version);
          else expect(snapshot.version).toBeLessThanOrEqual(latest.version);
        }
      }),
    );
  });

  it('never lets a replayed or late projection regress the index once the latest has landed', () => {
    fc.assert(
      fc.property(
        timeline,
        fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 20 }),
        fc.nat(),
        (input, landings, at) => {
          const states = simulate(input);
          const last = states[states.length - 1]!;
          const writes = landings.map(([h, p]) =>
            projectMixed(states[h % states.length]!, states[p % states.length]!),
          );
          writes.splice(at % (writes.length + 1), 0, projectMixed(last, last));
          // External versioning: a write lands only above the version already there.
          let indexed: DocumentWrite | undefined;
          for (const write of writes)
            if (!indexed || write.version > indexed.version) indexed = write;
          expect(content(indexed!)).toBe(content(projectMixed(last, last)));
        },
      ),
    );
  });

  it("hides a deleted customer's name even when nothing tells the projection their marker version, unless they renamed after ordering", () => {
    fc.assert(
      fc.property(timeline, (input) => {
        const states = simulate(input);
        const last = states[states.length - 1]!;
        if (last.profile.present) return;
        const renamedAfterOrdering = states.some(
          (state) => state.profile.present && state.profile.rev >= C,
        );
        if (renamedAfterOrdering) return;
        const blind = projectMixed(last, last, false);
        for (const state of states)
          if (state.profile.present)
            expect(blind.version).toBeGreaterThan(projectMixed(last, state).version);
      }),
    );
  });

  it('puts a deleted order marker above every version of its incarnation and below every version of the id placed again by anyone', () => {
    fc.assert(
      fc.property(
        timeline,
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10 ** 10 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 5 }),
        fc.nat(),
        (input, recreatedAfterMs, secondProfileAgeMs, secondSteps, markerRead) => {
          const states = simulate(input);
          const last = states[states.length - 1]!;
          const deletedMs = last.ms;
          // The marker's projection reads the customer as they are after the delete: as at
          // the delete, renamed since, or deleted since (before the id is placed again: once
          // it is, the ref names the new incarnation and no marker is written).
          const atDelete = last.profile;
          const seen: Profile = !atDelete.present
            ? atDelete
            : markerRead % 3 === 1
              ? {
                  present: true,
                  rev: Math.max((deletedMs + recreatedAfterMs - 1) * 1000, atDelete.rev + 1),
                  name: 'renamed',
                }
              : markerRead % 3 === 2
                ? { present: false, markerVersion: atDelete.rev + 1 }
                : atDelete;
          const marker = orderMarker(
            {
              orderId: 'o1',
              userId: 'u1',
              rev: last.headerRev,
              createdAt: CREATED,
              deletedAt: CREATED,
            },
            seen.present ? user(seen.rev, seen.name) : undefined,
            seen.present ? undefined : seen.markerVersion,
          );
          for (const h of states)
            for (const p of states)
              expect(marker.version).toBeGreaterThan(projectMixed(h, p).version);

          const againMs = deletedMs + recreatedAfterMs;
          const againAt = new Date(againMs).toISOString();
          let rev = againMs * 1000;
          const secondUser = user(againMs * 1000 - secondProfileAgeMs * 1000 - 1, 'Grace', 'u2');
          for (const elapsed of [0, ...secondSteps]) {
            rev = Math.max((againMs + elapsed) * 1000, rev + 1);
            const again = projectOrder({
              header: header(rev, 'paid', againAt, 'u2'),
              lines: [line('p1', againMs * 1000)],
              user: secondUser,
            });
            expect(again.version).toBeGreaterThan(marker.version);
            expect(again.version).toBeLessThan(2 ** 53);
          }
        },
      ),
    );
  });

  it('keeps the marker version formula: 2·H + u + 1', () => {
    expect(orderMarkerVersion({ order: C + 10, user: 7, userDeleted: false, created: C })).toBe(
      2 * (C + 10) + C,
    );
    expect(orderVersion({ order: C + 10, items: C, user: 8, userDeleted: true, created: C })).toBe(
      C + 10 + C + C,
    );
  });
});

describe('deletedUserVersionOf', () => {
  const incarnation = { userId: 'u1', createdAt: CREATED };
  it("prefers the user's REMOVE in the batch, then their marker, then the order's own document", () => {
    const marker = { userId: 'u1', deleted: true, version: 40 };
    const named = { userId: 'u1', createdAt: CREATED, customerName: 'Ada', revs: { user: 30 } };
    const nameless = { userId: 'u1', createdAt: CREATED, revs: { user: 38 } };
    expect(deletedUserVersionOf({ removedRev: 39 }, marker, named, incarnation)).toBe(40);
    expect(deletedUserVersionOf(undefined, marker, named, incarnation)).toBe(40);
    expect(deletedUserVersionOf(undefined, undefined, named, incarnation)).toBe(31);
    expect(deletedUserVersionOf(undefined, undefined, nameless, incarnation)).toBe(38);
  });

  it("ignores a live user document and another incarnation's order document", () => {
    const live = { userId: 'u1', deleted: false, version: 40 };
    const other = { userId: 'u2', createdAt: CREATED, revs: { user: 38 } };
    expect(deletedUserVersionOf(undefined, live, undefined, incarnation)).toBeUndefined();
    expect(deletedUserVersionOf(undefined, undefined, other, incarnation)).toBeUndefined();
  });
});

describe('users', () => {
  it('projects name, email and createdAt at the rev, and a marker one above it', () => {
    expect(projectUser(user(7))).toEqual({
      kind: 'users',
      id: 'u1',
      version: 7,
      source: {
        userId: 'u1',
        name: 'Ada',
        email: 'ada@example.com',
        createdAt: '2024-01-01T00:00:00.000Z',
        deleted: false,
        version: 7,
      },
    });
    expect(userMarker('u1', 7, '2024-05-01T00:00:00.000Z')).toEqual({
      kind: 'users',
      id: 'u1',
      version: 8,
      source: { userId: 'u1', deleted: true, deletedAt: '2024-05-01T00:00:00.000Z', version: 8 },
    });
  });
});
