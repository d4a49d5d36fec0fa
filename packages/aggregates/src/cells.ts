import type { Contribution } from './types.js';

// Ids, days, statuses and currency codes never contain `|`, so the split is unambiguous.
const SEPARATOR = '|';

/** The id of one cell in a {@link Contribution}. */
export const cellId = (aggregate: string, counter: string, field: string): string =>
  `${aggregate}${SEPARATOR}${counter}${SEPARATOR}${field}`;

/** The parts of a cell id. */
export const parseCellId = (id: string): { aggregate: string; counter: string; field: string } => {
  const first = id.indexOf(SEPARATOR);
  const last = id.lastIndexOf(SEPARATOR);
  return {
    aggregate: id.slice(0, first),
    counter: id.slice(first + 1, last),
    field: id.slice(last + 1),
  };
};

/** An empty contribution. */
export const EMPTY: Contribution = new Map();

/** `a − b` per cell, leaving zeros out. */
export const subtract = (a: Contribution, b: Contribution): Map<string, bigint> => {
  const result = new Map<string, bigint>();
  for (const [id, value] of a) result.set(id, value - (b.get(id) ?? 0n));
  for (const [id, value] of b) if (!a.has(id)) result.set(id, -value);
  for (const [id, value] of result) if (value === 0n) result.delete(id);
  return result;
};

/** Adds `b` into `into` per cell, leaving zeros out. */
export const addInto = (into: Map<string, bigint>, b: Contribution): Map<string, bigint> => {
  for (const [id, value] of b) {
    const sum = (into.get(id) ?? 0n) + value;
    if (sum === 0n) into.delete(id);
    else into.set(id, sum);
  }
  return into;
};

/** Whether two contributions hold the same non-zero cells. */
export const sameContribution = (a: Contribution, b: Contribution): boolean =>
  subtract(a, b).size === 0;
