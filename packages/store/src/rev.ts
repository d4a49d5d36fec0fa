/**
 * Revisions. A revision is the write time in microseconds, bumped past the previous
 * revision when writes come faster than one per microsecond. Scaling milliseconds by
 * 1000 leaves room for 1000 writes per millisecond to one item before the revision runs
 * ahead of the clock, so an item deleted and created again a millisecond later still
 * starts above every revision its earlier life had. It stays below 2^53 (exact in a
 * JavaScript number, and a valid search-engine external version) until the year 2255.
 */

/** Revisions per millisecond of clock time. */
export const REV_PER_MS = 1000;

/**
 * The revision for a write at `now` to an item whose last revision was `previousRev`.
 *
 * @example
 * nextRev(new Date(1_700_000_000_000)) // 1_700_000_000_000_000
 * nextRev(new Date(1_700_000_000_000), 1_700_000_000_000_005) // 1_700_000_000_000_006
 */
export const nextRev = (now: Date, previousRev = 0): number =>
  Math.max(now.getTime() * REV_PER_MS, previousRev + 1);

/** Whole epoch seconds of a date, the unit of DynamoDB's TTL attribute. */
export const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
