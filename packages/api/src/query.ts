import type { SearchOrdersInput, SearchUsersInput } from '@pipeline/search';
import { InvalidParameterError } from './errors.js';

const NUMERIC = /^\d{1,16}$/;

/** A whole number where the query gives digits; anything else passes through for the schema to refuse by name. */
const numberOrRaw = (value: string): number | string =>
  NUMERIC.test(value) ? Number(value) : value;

const numericParameters = new Set(['minTotal', 'maxTotal', 'size']);

/**
 * Turns a query string into the search library's input: `q` is the text, `status` may
 * repeat or be comma-separated, numbers become numbers, and any other parameter passes
 * through so the library's strict schema refuses it by name. Empty values count as absent.
 *
 * @example
 * searchOrdersInputFromQuery(new URLSearchParams('q=ada&status=paid,shipped&size=10'))
 * // { text: 'ada', status: ['paid', 'shipped'], size: 10 }
 */
export const searchOrdersInputFromQuery = (query: URLSearchParams): SearchOrdersInput => {
  const input: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    if (name === 'status') {
      const statuses = query
        .getAll(name)
        .flatMap((value) => value.split(','))
        .map((value) => value.trim())
        .filter((value) => value !== '');
      if (statuses.length > 0) input.status = statuses.length === 1 ? statuses[0] : statuses;
      continue;
    }
    const value = query.get(name) ?? '';
    if (value === '') continue;
    const key = name === 'q' ? 'text' : name;
    input[key] = numericParameters.has(key) ? numberOrRaw(value) : value;
  }
  return input as SearchOrdersInput;
};

/**
 * Turns a query string into the users search input: `q`, `size`, `cursor`.
 *
 * @example
 * searchUsersInputFromQuery(new URLSearchParams('q=lovelace')) // { text: 'lovelace' }
 */
export const searchUsersInputFromQuery = (query: URLSearchParams): SearchUsersInput => {
  const input: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    const value = query.get(name) ?? '';
    if (value === '') continue;
    const key = name === 'q' ? 'text' : name;
    input[key] = key === 'size' ? numberOrRaw(value) : value;
  }
  return input as SearchUsersInput;
};

/**
 * A whole-number query parameter within bounds, or the default when absent.
 *
 * @example
 * integerParameter(new URLSearchParams('limit=5'), 'limit', { min: 1, max: 100, fallback: 10 }) // 5
 */
export const integerParameter = (
  query: URLSearchParams,
  name: string,
  bounds: { readonly min: number; readonly max: number; readonly fallback: number },
): number => {
  const raw = query.get(name);
  if (raw === null || raw === '') return bounds.fallback;
  const value = NUMERIC.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new InvalidParameterError(
      name,
      `must be a whole number from ${bounds.min} to ${bounds.max}`,
    );
  }
  return value;
};

/** `YYYY-MM-DD` of a date in UTC, the calendar the aggregates keep. */
export const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

/** The UTC day `days` after (or before, when negative) `day`. */
export const addDays = (day: string, days: number): string =>
  utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000));
