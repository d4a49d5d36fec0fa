/**
 * Evaluates Lambda event-source-mapping filter patterns (EventBridge pattern syntax) against
 * the Lambda-shaped record, as the local runner must before it invokes a consumer.
 *
 * Supported: exact strings, numbers, booleans and null; `prefix` and `suffix`, each also as
 * `{ "equals-ignore-case": … }`; `equals-ignore-case`; `anything-but` (a value, a list, or
 * `{ prefix }` / `{ suffix }`); `exists: true | false`; `numeric` with `=`, `<`, `<=`, `>`,
 * `>=`, one comparison or a range of two; `$or`, a list of sub-patterns of which at least
 * one must match, beside the other fields of the same object. Fields AND, the values of one
 * field OR, and a list of patterns ORs. Anything else (`wildcard`, `cidr`, `anything-but`
 * with `equals-ignore-case` or `wildcard`, other `$` operators, empty value lists) throws
 * {@link UnsupportedFilterError}: a filter is never half-applied.
 *
 * Arrays, as EventBridge matches them: when the record's value is an array (a DynamoDB set
 * `SS`/`NS`, or a list), a field matches when ANY element matches one of the pattern's
 * values; `anything-but` matches when any element is outside the excluded values.
 * Numbers: DynamoDB JSON spells numbers as strings (`{ N: '12' }`), so `numeric` accepts
 * numeric strings; an exact value matches only a value of the same JSON type.
 * A field that is absent matches only `exists: false`.
 */
import type { FilterPattern } from '@pipeline/pipeline';
import { UnsupportedFilterError } from './errors.js';

type Matcher = string | number | boolean | null | { readonly [operator: string]: unknown };

const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);
const validated = new WeakSet<object>();

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isScalar = (value: unknown): boolean =>
  value === null || ['string', 'number', 'boolean'].includes(typeof value);

const checkAnythingBut = (path: string, argument: unknown): void => {
  if (isScalar(argument)) return;
  if (Array.isArray(argument) && argument.length > 0 && argument.every(isScalar)) return;
  if (isObject(argument)) {
    const [operator, ...rest] = Object.keys(argument);
    if (rest.length === 0 && (operator === 'prefix' || operator === 'suffix')) {
      if (typeof argument[operator] === 'string') return;
    }
    throw new UnsupportedFilterError(
      path,
      `anything-but ${String(operator)}`,
      'only prefix or suffix with a string',
    );
  }
  throw new UnsupportedFilterError(
    path,
    'anything-but',
    'needs a value, a non-empty list of values, or { prefix }',
  );
};

const checkMatcher = (path: string, matcher: unknown): void => {
  if (isScalar(matcher)) return;
  if (!isObject(matcher)) {
    throw new UnsupportedFilterError(
      path,
      typeof matcher,
      'a value must be a scalar or an operator object',
    );
  }
  const operators = Object.keys(matcher);
  if (operators.length !== 1) {
    throw new UnsupportedFilterError(
      path,
      operators.join(',') || '{}',
      'an operator object holds exactly one operator',
    );
  }
  const operator = operators[0]!;
  const argument = matcher[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof argument === 'string') return;
      if (isObject(argument)) {
        const [inner, ...rest] = Object.keys(argument);
        if (rest.length === 0 && inner === 'equals-ignore-case') {
          if (typeof argument[inner] === 'string') return;
        }
      }
      throw new UnsupportedFilterError(
        path,
        operator,
        'takes a string or { "equals-ignore-case": string }',
      );
    case 'equals-ignore-case':
      if (typeof argument !== 'string') {
        throw new UnsupportedFilterError(path, operator, 'takes a string');
      }
      return;
    case 'exists':
      if (typeof argument !== 'boolean')
        throw new UnsupportedFilterError(path, operator, 'takes true or false');
      return;
    case 'anything-but':
      checkAnythingBut(path, argument);
      return;
    case 'numeric': {
      if (
        !Array.isArray(argument) ||
        argument.length === 0 ||
        argument.length % 2 !== 0 ||
        argument.length > 4
      ) {
        throw new UnsupportedFilterError(
          path,
          operator,
          'takes one or two [operator, number] pairs',
        );
      }
      for (let index = 0; index < argument.length; index += 2) {
        if (!NUMERIC_OPERATORS.has(argument[index]) || typeof argument[index + 1] !== 'number') {
          throw new UnsupportedFilterError(
            path,
            operator,
            `bad comparison ${String(argument[index])}`,
          );
        }
      }
      return;
    }
    default:
      throw new UnsupportedFilterError(path, operator, 'operator not supported');
  }
};

const OR = '$or';

const checkOr = (path: string, alternatives: unknown): void => {
  if (!Array.isArray(alternatives) || alternatives.length === 0) {
    throw new UnsupportedFilterError(path, OR, 'takes a non-empty list of patterns');
  }
  alternatives.forEach((alternative, index) => {
    if (!isObject(alternative) || Object.keys(alternative).length === 0) {
      throw new UnsupportedFilterError(`${path}[${index}]`, OR, 'each alternative is a pattern');
    }
    validateFilterPattern(alternative as FilterPattern, `${path}[${index}]`);
  });
};

/**
 * Checks that a pattern uses only supported syntax; throws {@link UnsupportedFilterError}.
 *
 * @example
 * validateFilterPattern({ dynamodb: { NewImage: { status: { S: [{ wildcard: 'p*' }] } } } }) // throws
 */
export const validateFilterPattern = (pattern: FilterPattern, path = ''): void => {
  if (validated.has(pattern)) return;
  if (!isObject(pattern))
    throw new UnsupportedFilterError(path, typeof pattern, 'a pattern must be an object');
  for (const [field, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${field}` : field;
    if (field === OR) {
      checkOr(at, value);
      continue;
    }
    if (field.startsWith('$'))
      throw new UnsupportedFilterError(at, field, 'operator not supported');
    if (Array.isArray(value)) {
      if (value.length === 0)
        throw new UnsupportedFilterError(at, '[]', 'a field needs at least one value');
      for (const matcher of value) checkMatcher(at, matcher);
    } else if (isObject(value)) {
      validateFilterPattern(value as FilterPattern, at);
    } else {
      throw new UnsupportedFilterError(
        at,
        typeof value,
        'a field takes a list of values or a nested pattern',
      );
    }
  }
  if (path === '') validated.add(pattern);
};

const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const number = Number(value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
};

const compare = (value: number, operator: unknown, bound: number): boolean => {
  switch (operator) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    default:
      return value >= bound;
  }
};

const excluded = (argument: unknown, value: unknown): boolean => {
  if (Array.isArray(argument)) return argument.some((item) => item === value);
  if (isObject(argument)) {
    if (typeof value !== 'string') return false;
    return typeof argument.prefix === 'string'
      ? value.startsWith(argument.prefix)
      : value.endsWith(argument.suffix as string);
  }
  return argument === value;
};

/** `prefix` and `suffix` take a string, or `{ "equals-ignore-case": string }`. */
const affix = (argument: unknown, value: string): [string, string] =>
  typeof argument === 'string'
    ? [argument, value]
    : [
        (argument as Record<string, string>)['equals-ignore-case']!.toLowerCase(),
        value.toLowerCase(),
      ];

const matchesValue = (matcher: Matcher, value: unknown): boolean => {
  if (!isObject(matcher)) return matcher === value;
  const operator = Object.keys(matcher)[0]!;
  const argument = matcher[operator];
  switch (operator) {
    case 'prefix': {
      if (typeof value !== 'string') return false;
      const [expected, actual] = affix(argument, value);
      return actual.startsWith(expected);
    }
    case 'suffix': {
      if (typeof value !== 'string') return false;
      const [expected, actual] = affix(argument, value);
      return actual.endsWith(expected);
    }
    case 'equals-ignore-case':
      return (
        typeof value === 'string' && value.toLowerCase() === (argument as string).toLowerCase()
      );
    case 'anything-but':
      return !excluded(argument, value);
    case 'numeric': {
      const number = toNumber(value);
      if (number === undefined) return false;
      const bounds = argument as unknown[];
      for (let index = 0; index < bounds.length; index += 2) {
        if (!compare(number, bounds[index], bounds[index + 1] as number)) return false;
      }
      return true;
    }
    default:
      return false;
  }
};

const matchesField = (matchers: readonly Matcher[], present: boolean, value: unknown): boolean => {
  for (const matcher of matchers) {
    if (isObject(matcher) && 'exists' in matcher) {
      if (matcher.exists === present) return true;
      continue;
    }
    if (!present) continue;
    if (Array.isArray(value)) {
      if (value.some((item) => matchesValue(matcher, item))) return true;
    } else if (matchesValue(matcher, value)) {
      return true;
    }
  }
  return false;
};

const matchesObject = (pattern: FilterPattern, value: unknown): boolean => {
  const source = isObject(value) ? value : undefined;
  for (const field in pattern) {
    const expected = pattern[field]!;
    if (field === OR) {
      // Each alternative is matched against this same object, beside its other fields.
      const alternatives = expected as readonly FilterPattern[];
      if (!alternatives.some((alternative) => matchesObject(alternative, value))) return false;
      continue;
    }
    const present =
      source !== undefined && Object.hasOwn(source, field) && source[field] !== undefined;
    const actual = present ? source[field] : undefined;
    if (Array.isArray(expected)) {
      if (!matchesField(expected as readonly Matcher[], present, actual)) return false;
    } else if (Array.isArray(actual)) {
      if (!actual.some((item) => matchesObject(expected as FilterPattern, item))) return false;
    } else if (!matchesObject(expected as FilterPattern, actual)) {
      return false;
    }
  }
  return true;
};

/**
 * Whether a Lambda-shaped record matches one filter pattern. Throws
 * {@link UnsupportedFilterError} for syntax it does not implement.
 *
 * @example
 * matchesFilter({ dynamodb: { NewImage: { status: { S: ['paid'] } } } }, record)
 */
export const matchesFilter = (pattern: FilterPattern, record: unknown): boolean => {
  validateFilterPattern(pattern);
  return matchesObject(pattern, record);
};

/**
 * Whether a record matches at least one pattern, as Lambda's FilterCriteria does; no
 * patterns at all lets every record through.
 *
 * @example
 * const wanted = event.Records.filter((record) => matchesAnyFilter(consumer.filters, record));
 */
export const matchesAnyFilter = (patterns: readonly FilterPattern[], record: unknown): boolean => {
  if (patterns.length === 0) return true;
  for (const pattern of patterns) validateFilterPattern(pattern);
  return patterns.some((pattern) => matchesObject(pattern, record));
};
