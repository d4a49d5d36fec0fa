import { illegalArgument, OpenSearchApiError, unsupported } from './errors.js';

/** Date formats a `date` field may declare. */
export const supportedDateFormats = [
  'strict_date_optional_time',
  'date_optional_time',
  'strict_date_time',
  'strict_date',
  'date',
  'yyyy-MM-dd',
  'epoch_millis',
  'epoch_second',
] as const;

/** One supported date format. */
export type DateFormat = (typeof supportedDateFormats)[number];

/** OpenSearch's default for `date` fields. */
export const defaultDateFormat = 'strict_date_optional_time||epoch_millis';

/** Splits a `format` string on `||`, refusing formats this server cannot parse. */
export const parseDateFormats = (format: string): DateFormat[] =>
  format.split('||').map((name) => {
    if (!(supportedDateFormats as readonly string[]).includes(name))
      throw unsupported(`date format ${name}`);
    return name as DateFormat;
  });

const ISO =
  /^([+-]?\d{4,9})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$/;

const parseIso = (text: string, needsTime: boolean, dateOnly: boolean): number | undefined => {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (needsTime && (s === undefined || zone === undefined)) return undefined;
  if (dateOnly && (d === undefined || h !== undefined)) return undefined;
  const year = Number(y);
  const month = mo === undefined ? 1 : Number(mo);
  const day = d === undefined ? 1 : Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-9);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  if (utc.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
  }
  return utc.getTime() - offsetMinutes * 60_000;
};

/** Parses a date value with the given formats, tried in order; `undefined` when none fits. */
export const parseDate = (value: unknown, formats: readonly DateFormat[]): number | undefined => {
  for (const format of formats) {
    if (format === 'epoch_millis' || format === 'epoch_second') {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
      if (typeof value === 'string' && !/^-?\d+(\.\d+)?$/.test(value)) continue;
      if (Number.isFinite(n)) return Math.trunc(format === 'epoch_second' ? n * 1000 : n);
      continue;
    }
    if (typeof value !== 'string') continue;
    const parsed =
      format === 'strict_date_time'
        ? parseIso(value, true, false)
        : format === 'strict_date' || format === 'date' || format === 'yyyy-MM-dd'
          ? parseIso(value, false, true)
          : parseIso(value, false, false);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
};

/** Formats epoch millis as OpenSearch prints a date by default (`2024-01-31T00:00:00.000Z`). */
export const formatDate = (millis: number, formats: readonly DateFormat[]): string => {
  const first = formats[0];
  if (first === 'epoch_millis') return String(millis);
  if (first === 'epoch_second') return String(Math.floor(millis / 1000));
  if (first === 'strict_date' || first === 'date' || first === 'yyyy-MM-dd')
    return new Date(millis).toISOString().slice(0, 10);
  return new Date(millis).toISOString();
};

/** Calendar units of `calendar_interval` and date math. */
export type CalendarUnit = 'y' | 'q' | 'M' | 'w' | 'd' | 'h' | 'm' | 's';

const calendarNames: Record<string, CalendarUnit> = {
  year: 'y',
  '1y': 'y',
  quarter: 'q',
  '1q': 'q',
  month: 'M',
  '1M': 'M',
  week: 'w',
  '1w': 'w',
  day: 'd',
  '1d': 'd',
  hour: 'h',
  '1h': 'h',
  minute: 'm',
  '1m': 'm',
  second: 's',
  '1s': 's',
};

/** Reads a `calendar_interval` value. */
export const parseCalendarInterval = (text: string): CalendarUnit => {
  const unit = calendarNames[text];
  if (!unit)
    throw illegalArgument(
      `The supplied interval [${text}] could not be parsed as a calendar interval.`,
    );
  return unit;
};

const fixedUnits: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Reads a `fixed_interval` value such as `30m` into milliseconds. */
export const parseFixedInterval = (text: string): number => {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw illegalArgument(`failed to parse setting [fixed_interval] with value [${text}]`);
  return Number(m[1]) * fixedUnits[m[2]!]!;
};

/** Rounds epoch millis down to the start of its calendar unit, in UTC. */
export const roundDown = (millis: number, unit: CalendarUnit): number => {
  const d = new Date(millis);
  switch (unit) {
    case 'y':
      return Date.UTC(d.getUTCFullYear(), 0, 1);
    case 'q':
      return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
    case 'M':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'w': {
      const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      // ISO weeks start on Monday; getUTCDay() counts from Sunday.
      return day - ((d.getUTCDay() + 6) % 7) * 86_400_000;
    }
    case 'd':
      return Math.floor(millis / 86_400_000) * 86_400_000;
    case 'h':
      return Math.floor(millis / 3_600_000) * 3_600_000;
    case 'm':
      return Math.floor(millis / 60_000) * 60_000;
    default:
      return Math.floor(millis / 1000) * 1000;
  }
};

/** Adds `amount` calendar units to epoch millis, in UTC. */
export const addUnits = (millis: number, amount: number, unit: CalendarUnit): number => {
  const d = new Date(millis);
  switch (unit) {
    case 'y':
      d.setUTCFullYear(d.getUTCFullYear() + amount);
      return d.getTime();
    case 'q':
      d.setUTCMonth(d.getUTCMonth() + 3 * amount);
      return d.getTime();
    case 'M':
      d.setUTCMonth(d.getUTCMonth() + amount);
      return d.getTime();
    case 'w':
      return millis + amount * 7 * 86_400_000;
    case 'd':
      return millis + amount * 86_400_000;
    case 'h':
      return millis + amount * 3_600_000;
    case 'm':
      return millis + amount * 60_000;
    default:
      return millis + amount * 1000;
  }
};

const mathUnits = new Set(['y', 'M', 'w', 'd', 'h', 'H', 'm', 's']);

/**
 * Resolves a range bound that may use date math (`now-1d/d`, `2024-01-01||+1M`). Rounding goes up
 * to the end of the unit for `gt` and `lte`, as OpenSearch documents for date math in ranges.
 */
export const resolveDateMath = (
  value: unknown,
  formats: readonly DateFormat[],
  now: number,
  roundUp: boolean,
): number => {
  let base: number | undefined;
  let math = '';
  if (typeof value === 'string' && value.startsWith('now')) {
    base = now;
    math = value.slice(3);
  } else if (typeof value === 'string' && value.includes('||')) {
    const [anchor, rest] = value.split('||', 2) as [string, string];
    base = parseDate(anchor, formats);
    math = rest;
  } else {
    base = parseDate(value, formats);
  }
  if (base === undefined)
    throw new OpenSearchApiError(
      400,
      'parse_exception',
      `failed to parse date field [${String(value)}] with format [${formats.join('||')}]`,
    );
  let result = base;
  let rest = math;
  while (rest.length > 0) {
    const op = rest[0];
    if (op === '/') {
      const unit = rest[1];
      if (!unit || !mathUnits.has(unit))
        throw new OpenSearchApiError(400, 'parse_exception', `unit [${unit}] not supported`);
      const u = (unit === 'H' ? 'h' : unit) as CalendarUnit;
      const down = roundDown(result, u);
      result = roundUp ? addUnits(down, 1, u) - 1 : down;
      rest = rest.slice(2);
      continue;
    }
    const m = /^([+-])(\d*)([yMwdhHms])/.exec(rest);
    if (!m)
      throw new OpenSearchApiError(400, 'parse_exception', `operator not supported [${rest}]`);
    const amount = (m[1] === '-' ? -1 : 1) * (m[2] ? Number(m[2]) : 1);
    const unit = (m[3] === 'H' ? 'h' : m[3]) as CalendarUnit;
    result = addUnits(result, amount, unit);
    rest = rest.slice(m[0].length);
  }
  return result;
};
