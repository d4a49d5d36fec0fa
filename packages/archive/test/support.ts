import { EntityType, keys } from '@pipeline/model';
import type { PlainItem } from '@pipeline/testing';

const NOW = '2026-11-20T10:00:00.000Z';

/** A session item with its keys, as the store writes it. */
export const sessionItem = (sessionId: string, overrides: PlainItem = {}): PlainItem => ({
  ...keys.session(sessionId),
  entityType: EntityType.session,
  sessionId,
  userId: 'u1',
  ttl: 1_790_000_000,
  createdAt: NOW,
  updatedAt: NOW,
  rev: 1_763_632_800_000_000,
  ...overrides,
});

/** A product view item with its keys, as the store writes it. */
export const productViewItem = (
  productId: string,
  viewId: string,
  overrides: PlainItem = {},
): PlainItem => ({
  ...keys.productView(productId, NOW, viewId),
  entityType: EntityType.productView,
  productId,
  viewId,
  at: NOW,
  ttl: 1_790_000_000,
  createdAt: NOW,
  updatedAt: NOW,
  rev: 1_763_632_800_000_000,
  ...overrides,
});

/** Epoch seconds of a UTC instant, as Lambda carries ApproximateCreationDateTime. */
export const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
