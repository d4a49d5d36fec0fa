import type { EntityType, ParsedKey } from '@pipeline/model';

/** What happened to an item. */
export const ChangeKind = { insert: 'insert', modify: 'modify', remove: 'remove' } as const;

/** One of the values of {@link ChangeKind}. */
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

/** An unmarshalled item image. Numbers beyond 2^53 stay exact (see the decoder). */
export type Image = Record<string, unknown>;

/** One decoded stream record: a typed change to one item of the main table. */
export interface ChangeEvent {
  readonly kind: ChangeKind;
  /** The unmarshalled primary key, `{ PK, SK }`. */
  readonly keys: { readonly PK: string; readonly SK: string };
  /** Stable identity of the item, for per-item ordering and isolation. */
  readonly itemKey: string;
  readonly entityType: EntityType;
  /** The ids recovered from the key. */
  readonly entity: ParsedKey;
  readonly newImage: Image | undefined;
  readonly oldImage: Image | undefined;
  readonly eventID: string;
  /** Decimal string; compare with {@link compareSequenceNumbers}, never as numbers. */
  readonly sequenceNumber: string;
  /** Epoch milliseconds. */
  readonly approximateCreationTime: number;
  /** True when DynamoDB's TTL process deleted the item. */
  readonly expiredByTtl: boolean;
  /** The stream's ARN, as Lambda delivers it. */
  readonly eventSourceARN?: string;
}
