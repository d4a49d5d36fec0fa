import { calendarDaySchema, currencySchema, minorUnitsSchema } from '@pipeline/model';
import {
  type SearchOrdersInput,
  type SearchUsersInput,
  searchOrdersInputSchema,
  searchUsersInputSchema,
} from '@pipeline/search';
import * as z from 'zod';
import { InvalidParameterError, UnknownParametersError } from './errors.js';

/** Inclusive bounds of a whole-number parameter. */
export interface WholeNumberBounds {
  readonly min: number;
  readonly max: number;
}

const SIGNED_DIGITS = /^[+-]?\d{1,16}$/;

/**
 * Parses a whole number within bounds, refusing anything else with a message that gives
 * the range, so `size=-1` reads "size must be a whole number from 1 to 100".
 *
 * @example
 * wholeNumber('limit', '5', { min: 1, max: 100 }) // 5
 */
export const wholeNumber = (name: string, raw: string, bounds: WholeNumberBounds): number => {
  const value = SIGNED_DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new InvalidParameterError(
      name,
      `must be a whole number from ${bounds.min} to ${bounds.max}, not ${JSON.stringify(raw)}`,
    );
  }
  return value;
};

/** The bounds a zod number schema declares, so the range is written once, in the schema. */
export const boundsOf = (schema: z.ZodNumber): WholeNumberBounds => ({
  min: schema.minValue ?? Number.MIN_SAFE_INTEGER,
  max: schema.maxValue ?? Number.MAX_SAFE_INTEGER,
});

const searchPageSize = boundsOf(searchOrdersInputSchema.shape.size.unwrap());
const minorUnits = boundsOf(minorUnitsSchema);
const searchNumberBounds: Readonly<Record<string, WholeNumberBounds>> = {
  size: searchPageSize,
  minTotal: minorUnits,
  maxTotal: minorUnits,
};

/** The search library calls the words `text`; the query string calls them `q`. */
const queryNameOf = (field: string): string => (field === 'text' ? 'q' : field);
const fieldNameOf = (parameter: string): string => (parameter === 'q' ? 'text' : parameter);

/** A search input's fields as query parameters, `text` as `q`, each with its field's schema. */
const queryStringSchemaOf = (input: z.ZodObject): z.ZodObject =>
  z.object(
    Object.fromEntries(
      Object.entries(input.shape).map(([field, schema]) => [queryNameOf(field), schema]),
    ),
  );

/** The query parameters of `GET /search/orders`: the search library's fields, `text` as `q`. */
export const searchOrdersQuerySchema = queryStringSchemaOf(searchOrdersInputSchema);

/** The query parameters of `GET /search/users`. */
export const searchUsersQuerySchema = queryStringSchemaOf(searchUsersInputSchema);

/** What a route accepts in its query string. */
export interface QueryParameters {
  /** Every parameter the route takes; any other name is refused. */
  readonly names: readonly string[];
  /** Parameters that may be given more than once; any other is refused when repeated. @default [] */
  readonly repeatable?: readonly string[];
}

/**
 * Refuses a query string that holds a parameter the route does not take (a typo such as
 * `sizee=5` would otherwise be ignored and the default used), or that gives one parameter
 * twice where only one value is read.
 *
 * @example
 * refuseUnexpectedParameters(new URLSearchParams('sizee=5'), { names: ['q', 'size'] })
 * // throws UnknownParametersError: unknown query parameter "sizee"; this route takes q, size
 */
export const refuseUnexpectedParameters = (
  query: URLSearchParams,
  accepted: QueryParameters,
): void => {
  const names = [...query.keys()];
  const unknown = [...new Set(names.filter((name) => !accepted.names.includes(name)))];
  if (unknown.length > 0) throw new UnknownParametersError(unknown, accepted.names);
  const repeatable = accepted.repeatable ?? [];
  const repeated = names.find(
    (name, index) => !repeatable.includes(name) && names.indexOf(name) !== index,
  );
  if (repeated !== undefined) {
    throw new InvalidParameterError(repeated, 'is given more than once; give it once');
  }
};

/** A parameter's value; an empty value counts as absent. */
const parameterValue = (query: URLSearchParams, name: string): string | undefined => {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
};

const parsedBy = <S extends z.ZodType>(
  schema: S,
  name: string,
  raw: string | undefined,
): z.output<S> | undefined => {
  if (raw === undefined) return undefined;
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new InvalidParameterError(
    name,
    `${result.error.issues[0]?.message ?? 'is invalid'}, not ${JSON.stringify(raw)}`,
  );
};

/**
 * A `YYYY-MM-DD` parameter that must be a day of the calendar, or `undefined` when absent.
 *
 * @example
 * dayParameter(new URLSearchParams('to=2026-02-28'), 'to') // '2026-02-28'
 * dayParameter(new URLSearchParams('to=2026-02-30'), 'to') // throws InvalidParameterError naming to
 */
export const dayParameter = (query: URLSearchParams, name: string): string | undefined =>
  parsedBy(calendarDaySchema, name, parameterValue(query, name));

/**
 * An ISO 4217 currency code parameter (three upper-case letters), or `undefined` when absent.
 *
 * @example
 * currencyParameter(new URLSearchParams('currency=EUR'), 'currency') // 'EUR'
 */
export const currencyParameter = (query: URLSearchParams, name: string): string | undefined =>
  parsedBy(currencySchema, name, parameterValue(query, name));

/**
 * A whole-number query parameter within bounds, or the default when absent.
 *
 * @example
 * integerParameter(new URLSearchParams('limit=5'), 'limit', { min: 1, max: 100, fallback: 10 }) // 5
 */
export const integerParameter = (
  query: URLSearchParams,
  name: string,
  bounds: WholeNumberBounds & { readonly fallback: number },
): number => {
  const raw = parameterValue(query, name);
  return raw === undefined ? bounds.fallback : wholeNumber(name, raw, bounds);
};

/** Turns the parameters other than `status` into search fields; numbers are checked against their schema's range. */
const searchFields = (query: URLSearchParams, skip: ReadonlySet<string>) => {
  const input: Record<string, unknown> = {};
  for (const name of new Set(query.keys())) {
    const value = parameterValue(query, name);
    if (skip.has(name) || value === undefined) continue;
    const bounds = searchNumberBounds[name];
    input[fieldNameOf(name)] = bounds ? wholeNumber(name, value, bounds) : value;
  }
  return input;
};

const STATUS_ONLY = new Set(['status']);

/**
 * Turns a query string into the search library's input: `q` is the text, `status` may
 * repeat or be comma-separated, `size`, `minTotal` and `maxTotal` must be whole numbers in
 * their range, and the library's strict schema checks the rest by name. Empty values count
 * as absent.
 *
 * @example
 * searchOrdersInputFromQuery(new URLSearchParams('q=ada&status=paid,shipped&size=10'))
 * // { text: 'ada', status: ['paid', 'shipped'], size: 10 }
 */
export const searchOrdersInputFromQuery = (query: URLSearchParams): SearchOrdersInput => {
  const input = searchFields(query, STATUS_ONLY);
  const statuses = query
    .getAll('status')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (statuses.length > 0) input.status = statuses.length === 1 ? statuses[0] : statuses;
  return input as SearchOrdersInput;
};

/**
 * Turns a query string into the users search input: `q`, `query`, `size`, `cursor`.
 *
 * @example
 * searchUsersInputFromQuery(new URLSearchParams('q=lovelace')) // { text: 'lovelace' }
 */
export const searchUsersInputFromQuery = (query: URLSearchParams): SearchUsersInput =>
  searchFields(query, new Set()) as SearchUsersInput;

/** `YYYY-MM-DD` of a date in UTC, the calendar the aggregates keep. */
export const utcDay = (date: Date): string => date.toISOString().slice(0, 10);

const FOUR_DIGIT_YEAR = /^\d{4}-/;

/**
 * The UTC day `days` after (or before, when negative) a calendar day, kept within
 * four-digit years, so a default range near year 0 stays a valid day.
 *
 * @example
 * addDays('2026-03-01', -1) // '2026-02-28'
 */
export const addDays = (day: string, days: number): string => {
  const shifted = utcDay(new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000));
  if (FOUR_DIGIT_YEAR.test(shifted)) return shifted;
  return days < 0 ? '0000-01-01' : '9999-12-31';
};
