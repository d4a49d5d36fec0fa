import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  orderMarker,
  orderMarkerVersion,
  projectOrder,
  projectUser,
  userMarker,
} from '../src/index.js';

const header = (rev: number, status = 'paid') => ({
  PK: 'USER#u1',
  SK: 'ORDER#2024-05-01T00:00:00.000Z#o1',
  orderId: 'o1',
  userId: 'u1',
  status,
  createdAt: '2024-05-01T00:00:00.000Z',
  updatedAt: '2024-05-01T00:00:00.000Z',
  total: { amount: 1_250, currency: 'EUR' },
  itemCount: 2,
  flagged: false,
  loyaltyPoints: 3,
  rev,
});
const line = (productId: string, rev: number) => ({ productId, name: `Name ${productId}`, rev });
const user = (rev: number, name = 'Ada') => ({
  userId: 'u1',
  name,
  email: 'ada@example.com',
  createdAt: '2024-01-01T00:00:00.000Z',
  loyaltyPoints: 9,
  rev,
});

describe('projectOrder', () => {
  it('copies only the searchable fields, lines by product id, and the customer name and email', () => {
    const write = projectOrder({
      header: header(10),
      lines: [line('p2', 10), line('p1', 10)],
      user: user(4),
    });
    expect(write).toEqual({
      kind: 'orders',
      id: 'o1',
      version: 24,
      source: {
        orderId: 'o1',
        userId: 'u1',
        status: 'paid',
        createdAt: '2024-05-01T00:00:00.000Z',
        updatedAt: '2024-05-01T00:00:00.000Z',
        total: { amount: 1_250, currency: 'EUR' },
        itemProductIds: ['p1', 'p2'],
        itemNames: ['Name p1', 'Name p2'],
        customerName: 'Ada',
        customerEmail: 'ada@example.com',
        revs: { order: 10, user: 4, items: 10 },
        deleted: false,
        version: 24,
      },
    });
  });

  it('leaves customer fields out when the profile is gone, using the deletion as the user component', () => {
    const write = projectOrder({
      header: header(10),
      lines: [],
      user: undefined,
      userRevWhenAbsent: 8,
    });
    expect(write.source).not.toHaveProperty('customerName');
    expect(write.version).toBe(18);
  });

  it('refuses an item without the fields a document needs', () => {
    expect(() =>
      projectOrder({
        header: { ...header(10), total: { amount: 1.5, currency: 'EUR' } },
        lines: [],
        user: undefined,
      }),
    ).toThrowError(expect.objectContaining({ code: 'search.invalidSourceItem', field: 'total' }));
  });
});

describe('order versions', () => {
  /** A history of writes to an order's three components, each rev above the last of its kind. */
  const history = fc.array(
    fc.tuple(fc.constantFrom('order', 'user', 'items'), fc.integer({ min: 1, max: 1000 })),
    {
      minLength: 1,
      maxLength: 30,
    },
  );

  it('gives the state after the last write a version above every snapshot a racing projection could read', () => {
    fc.assert(
      fc.property(history, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat())), (writes, picks) => {
        // Revs per component after each write (a snapshot may mix components of different times).
        const revs = { order: [1_000], user: [500], items: [1_000] };
        for (const [component, step] of writes) {
          const list = revs[component as keyof typeof revs];
          list.push(list[list.length - 1]! + step);
        }
        const project = (o: number, u: number, i: number) =>
          projectOrder({
            header: header(revs.order[o]!, `s${o}`),
            lines: [line('p1', revs.items[i]!)],
            user: user(revs.user[u]!, `n${u}`),
          });
        const latest = project(revs.order.length - 1, revs.user.length - 1, revs.items.length - 1);
        for (const [o, u, i] of picks) {
          const snapshot = project(
            o % revs.order.length,
            u % revs.user.length,
            i % revs.items.length,
          );
          if (JSON.stringify(snapshot.source) !== JSON.stringify(latest.source))
            expect(snapshot.version).toBeLessThan(latest.version);
        }
      }),
    );
  });

  it('puts a deleted order marker above every earlier version and below the order created again', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 50 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.integer({ min: 1, max: 1000 }),
        (headerRev, userRev, recreatedStep) => {
          const before = projectOrder({
            header: header(headerRev),
            lines: [line('p1', headerRev)],
            user: user(userRev || 1),
          });
          const marker = orderMarker(
            'o1',
            'u1',
            headerRev,
            userRev || 1,
            '2024-05-02T00:00:00.000Z',
          );
          const again = projectOrder({
            header: header(headerRev + recreatedStep),
            lines: [line('p1', headerRev + recreatedStep)],
            user: user(userRev || 1),
          });
          expect(marker.version).toBe(orderMarkerVersion(headerRev, userRev || 1));
          expect(marker.version).toBeGreaterThan(before.version);
          expect(again.version).toBeGreaterThan(marker.version);
        },
      ),
    );
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
