import { pipeline } from '@pipeline/consumers';
import type { FilterPattern } from '@pipeline/pipeline';
import {
  insertRecord,
  modifyRecord,
  orderItem,
  removeRecord,
  ttlRemoveRecord,
  userItem,
} from '@pipeline/testing';
import { describe, expect, it } from 'vitest';
import { UnsupportedFilterError } from '../src/errors.js';
import { matchesAnyFilter, matchesFilter } from '../src/filter.js';

const paidOrder = insertRecord(orderItem({ status: 'paid', itemCount: 3 }));
const onNew = (field: string, type: string, values: unknown[]): FilterPattern => ({
  dynamodb: { NewImage: { [field]: { [type]: values } } },
});

describe('matchesFilter', () => {
  it.each([
    ['an exact string', onNew('status', 'S', ['paid']), true],
    ['another exact string', onNew('status', 'S', ['pending']), false],
    ['any of several values (OR)', onNew('status', 'S', ['pending', 'paid']), true],
    ['a boolean', onNew('flagged', 'BOOL', [false]), true],
    ['a number spelled as DynamoDB does', onNew('itemCount', 'N', ['3']), true],
    ['a number of the wrong JSON type', onNew('itemCount', 'N', [3]), false],
    [
      'numeric range on a DynamoDB number',
      onNew('itemCount', 'N', [{ numeric: ['>', 2, '<=', 3] }]),
      true,
    ],
    ['numeric range that excludes it', onNew('itemCount', 'N', [{ numeric: ['>', 3] }]), false],
    ['prefix', onNew('SK', 'S', [{ prefix: 'ORDER#' }]), true],
    ['prefix that differs', onNew('SK', 'S', [{ prefix: 'VIEW#' }]), false],
    ['suffix', onNew('orderId', 'S', [{ suffix: '1' }]), true],
    ['equals-ignore-case', onNew('status', 'S', [{ 'equals-ignore-case': 'PAID' }]), true],
    ['anything-but a value', onNew('status', 'S', [{ 'anything-but': 'cancelled' }]), true],
    [
      'anything-but a list holding it',
      onNew('status', 'S', [{ 'anything-but': ['paid', 'shipped'] }]),
      false,
    ],
    ['anything-but a prefix', onNew('SK', 'S', [{ 'anything-but': { prefix: 'ORDER#' } }]), false],
    [
      'exists on a present attribute',
      { dynamodb: { NewImage: { status: [{ exists: true }] } } },
      true,
    ],
    [
      'exists false on a present attribute',
      { dynamodb: { NewImage: { status: [{ exists: false }] } } },
      false,
    ],
    [
      'exists false on an absent attribute',
      { dynamodb: { NewImage: { GSI2PK: [{ exists: false }] } } },
      true,
    ],
    ['anything-but on an absent attribute', onNew('GSI2PK', 'S', [{ 'anything-but': 'x' }]), false],
    ['the event name', { eventName: ['INSERT'] }, true],
    [
      'AND across fields, one failing',
      { eventName: ['INSERT'], ...onNew('status', 'S', ['shipped']) },
      false,
    ],
    ['null', { userIdentity: [null] }, false],
    // EventBridge "Begins with (ignore case)" and "Ends with (ignore case)", eb-create-pattern-operators.
    [
      'prefix ignoring case',
      onNew('SK', 'S', [{ prefix: { 'equals-ignore-case': 'order#' } }]),
      true,
    ],
    [
      'prefix ignoring case that differs',
      onNew('SK', 'S', [{ prefix: { 'equals-ignore-case': 'view#' } }]),
      false,
    ],
    [
      'suffix ignoring case',
      onNew('status', 'S', [{ suffix: { 'equals-ignore-case': 'AID' } }]),
      true,
    ],
    // EventBridge numeric matching, a range of two comparisons on a DynamoDB number.
    [
      'numeric range with both ends inclusive',
      onNew('itemCount', 'N', [{ numeric: ['>=', 3, '<=', 3] }]),
      true,
    ],
    ['numeric equality', onNew('itemCount', 'N', [{ numeric: ['=', 3] }]), true],
    ['numeric on a string that is no number', onNew('status', 'S', [{ numeric: ['>', 0] }]), false],
  ] as const)('evaluates %s', (_, pattern, expected) => {
    expect(matchesFilter(pattern as FilterPattern, paidOrder)).toBe(expected);
  });

  it('matches an array value when any element matches, as Lambda does for sets', () => {
    const tagged = insertRecord({ ...userItem(), tags: new Set(['beta', 'vip']) });

    expect(matchesFilter(onNew('tags', 'SS', ['vip']), tagged)).toBe(true);
    expect(matchesFilter(onNew('tags', 'SS', ['gold']), tagged)).toBe(false);
    expect(matchesFilter(onNew('tags', 'SS', [{ prefix: 'be' }]), tagged)).toBe(true);
  });

  it.each([
    ['wildcard', onNew('status', 'S', [{ wildcard: 'p*' }])],
    ['cidr', onNew('status', 'S', [{ cidr: '10.0.0.0/8' }])],
    ['$and', { $and: [{ eventName: ['INSERT'] }] } as unknown as FilterPattern],
    ['$or with no alternatives', { $or: [] } as unknown as FilterPattern],
    ['$or over bare values', { $or: ['INSERT'] } as unknown as FilterPattern],
    ['$or hiding an unsupported operator', { $or: [onNew('status', 'S', [{ wildcard: 'p*' }])] }],
    ['prefix with a wildcard', onNew('SK', 'S', [{ prefix: { wildcard: 'O*' } }])],
    [
      'anything-but ignoring case',
      onNew('status', 'S', [{ 'anything-but': { 'equals-ignore-case': 'PAID' } }]),
    ],
    ['an empty list', onNew('status', 'S', [])],
    ['two operators in one object', onNew('status', 'S', [{ prefix: 'p', suffix: 'd' }])],
    ['a bare scalar field', { eventName: 'INSERT' } as unknown as FilterPattern],
  ])('refuses %s with a typed error instead of ignoring it', (_, pattern) => {
    // The unsupported part sits behind a field that fails first, so only validation can catch it.
    const record = removeRecord(orderItem());

    expect(() => matchesFilter(pattern, record)).toThrow(UnsupportedFilterError);
  });
});

// EventBridge's $or: "a list of patterns, any of which matches" (eb-create-pattern-operators,
// "Or" across fields); comparison operators other than $or and anything-but work on leaves only.
describe('matchesFilter with $or', () => {
  it.each([
    [
      'one alternative of several matches',
      { $or: [{ eventName: ['REMOVE'] }, onNew('status', 'S', ['paid'])] },
      true,
    ],
    [
      'no alternative matches',
      { $or: [{ eventName: ['REMOVE'] }, onNew('status', 'S', ['shipped'])] },
      false,
    ],
    [
      'the alternatives match but a field beside them does not (AND)',
      {
        eventName: ['REMOVE'],
        $or: [onNew('status', 'S', ['paid']), onNew('itemCount', 'N', ['3'])],
      },
      false,
    ],
    [
      'the alternatives and the field beside them both match',
      {
        eventName: ['INSERT'],
        $or: [onNew('status', 'S', ['shipped']), onNew('itemCount', 'N', ['3'])],
      },
      true,
    ],
    [
      '$or nested inside the new image',
      {
        dynamodb: {
          NewImage: {
            $or: [{ status: { S: ['shipped'] } }, { itemCount: { N: [{ numeric: ['>', 2] }] } }],
          },
        },
      },
      true,
    ],
    [
      'an alternative that needs an absent attribute to exist',
      {
        dynamodb: { NewImage: { $or: [{ GSI2PK: [{ exists: true }] }, { status: { S: ['x'] } }] } },
      },
      false,
    ],
    [
      '$or inside an alternative of $or',
      {
        $or: [
          { eventName: ['REMOVE'] },
          { $or: [{ eventName: ['MODIFY'] }, { eventName: ['INSERT'] }] },
        ],
      },
      true,
    ],
  ] as const)('evaluates %s', (_, pattern, expected) => {
    // Act
    const matched = matchesFilter(pattern as unknown as FilterPattern, paidOrder);
    // Assess
    expect(matched).toBe(expected);
  });

  it('lets a list of patterns and one $or pattern select the same records', () => {
    // Prepare
    const entity = (type: string) => ({ entityType: { S: [type] } });
    const asList: FilterPattern[] = [
      { dynamodb: { NewImage: entity('Order') } },
      { dynamodb: { OldImage: entity('Order') } },
    ];
    const asOr = {
      $or: [
        { dynamodb: { NewImage: entity('Order') } },
        { dynamodb: { OldImage: entity('Order') } },
      ],
    } as unknown as FilterPattern;
    const records = [
      insertRecord(orderItem()),
      removeRecord(orderItem()),
      insertRecord(userItem()),
      modifyRecord(userItem(), userItem({ rev: 2 })),
    ];
    // Act
    const byList = records.map((record) => matchesAnyFilter(asList, record));
    const byOr = records.map((record) => matchesFilter(asOr, record));
    // Assess
    expect(byOr).toEqual(byList);
    expect(byOr).toEqual([true, true, false, false]);
  });
});

describe('the pipeline definition filters', () => {
  const consumer = (name: string) => pipeline.find((candidate) => candidate.name === name)!;

  it('lets only service-identity removes through to the archive consumer', () => {
    const { filters } = consumer('archive-expired');

    expect(matchesAnyFilter(filters, ttlRemoveRecord(orderItem()))).toBe(true);
    expect(matchesAnyFilter(filters, removeRecord(orderItem()))).toBe(false);
    expect(matchesAnyFilter(filters, insertRecord(orderItem()))).toBe(false);
    expect(
      matchesAnyFilter(
        filters,
        removeRecord(orderItem(), { userIdentity: { type: 'Service', principalId: 'x' } }),
      ),
    ).toBe(false);
  });

  it('matches entity filters on the new image or, for removes, the old image', () => {
    const { filters } = consumer('sync-search');
    const session = { PK: 'SESSION#s1', SK: 'METADATA', entityType: 'Session', sessionId: 's1' };

    expect(matchesAnyFilter(filters, insertRecord(orderItem()))).toBe(true);
    expect(matchesAnyFilter(filters, modifyRecord(userItem(), userItem({ rev: 2 })))).toBe(true);
    expect(matchesAnyFilter(filters, removeRecord(userItem()))).toBe(true);
    expect(matchesAnyFilter(filters, insertRecord(session))).toBe(false);
    expect(matchesAnyFilter(filters, ttlRemoveRecord(session))).toBe(false);
  });

  it('lets every record through when a consumer has no filters', () => {
    expect(matchesAnyFilter([], insertRecord(orderItem()))).toBe(true);
  });
});
