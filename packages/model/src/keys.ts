import { EntityType } from './entity-types.js';

/** Separates the parts of a composite key. Ids can never contain it. */
export const KEY_SEPARATOR = '#';

/** The primary key of an item in the main table. */
export interface ItemKey {
  readonly PK: string;
  readonly SK: string;
}

/** A primary key plus the GSI attributes an entity projects. */
export interface IndexedKey extends ItemKey {
  readonly GSI1PK?: string;
  readonly GSI1SK?: string;
  readonly GSI2PK?: string;
  readonly GSI2SK?: string;
}

/** Value of GSI2PK on flagged orders; unflagged orders leave GSI2 attributes out. */
export const FLAGGED_PARTITION = 'FLAGGED';

/**
 * Every entity's primary key, declared once as templates: literal parts and `{attribute}`
 * placeholders, joined by {@link KEY_SEPARATOR}. The key builders ({@link keys}) and the
 * parser ({@link parseKey}) both derive from these, so they cannot disagree; a builder
 * takes the placeholders in the order they appear, partition key first. Ids, timestamps
 * and emails never contain the separator.
 */
export const entityKeys = {
  user: { entityType: EntityType.user, PK: 'USER#{userId}', SK: 'PROFILE' },
  emailGuard: { entityType: EntityType.emailGuard, PK: 'EMAIL#{email}', SK: 'EMAIL' },
  order: { entityType: EntityType.order, PK: 'USER#{userId}', SK: 'ORDER#{createdAt}#{orderId}' },
  orderRef: { entityType: EntityType.orderRef, PK: 'ORDER#{orderId}', SK: 'REF' },
  orderItem: { entityType: EntityType.orderItem, PK: 'ORDER#{orderId}', SK: 'ITEM#{productId}' },
  product: { entityType: EntityType.product, PK: 'PRODUCT#{productId}', SK: 'METADATA' },
  session: { entityType: EntityType.session, PK: 'SESSION#{sessionId}', SK: 'METADATA' },
  productView: {
    entityType: EntityType.productView,
    PK: 'PRODUCT#{productId}',
    SK: 'VIEW#{at}#{viewId}',
  },
} as const;

/** The index keys an entity projects, as templates of the same kind; they are built, never parsed. */
const indexKeys = {
  userByEmail: { GSI1PK: 'EMAIL#{email}', GSI1SK: 'PROFILE' },
  orderByStatus: { GSI1PK: 'STATUS#{status}', GSI1SK: 'ORDER#{createdAt}#{orderId}' },
  flaggedOrder: { GSI2PK: FLAGGED_PARTITION, GSI2SK: 'ORDER#{createdAt}#{orderId}' },
  productByCategory: { GSI1PK: 'CAT#{category}', GSI1SK: 'PRODUCT#{productId}' },
} as const;

/** The placeholders of a template, in order: `'ORDER#{createdAt}#{orderId}'` gives `['createdAt', 'orderId']`. */
type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? [Name, ...Placeholders<Rest>]
  : [];

/** The placeholders of every template of a declaration, in order, each once. */
type DeclaredNames<D> = Unique<Placeholders<Joined<D>>>;
type Joined<D> = D extends {
  readonly PK: infer P extends string;
  readonly SK: infer S extends string;
}
  ? `${P}#${S}`
  : D extends { readonly [name: string]: string }
    ? `${D[keyof D & `GSI${number}PK`]}#${D[keyof D & `GSI${number}SK`]}`
    : never;
type Unique<T extends string[], Seen extends string = never> = T extends [
  infer Head extends string,
  ...infer Rest extends string[],
]
  ? Head extends Seen
    ? Unique<Rest, Seen>
    : [Head, ...Unique<Rest, Seen | Head>]
  : [];

/** A builder's arguments: one string per placeholder. */
type Arguments<Names extends string[]> = { [K in keyof Names]: string };

/** The key attributes a declaration builds: its templates' attribute names. */
type Built<D> = { readonly [A in Exclude<keyof D, 'entityType'>]: string };

const PLACEHOLDER = /\{(\w+)\}/g;

/** The placeholder names of one declaration's templates, in order, each once. */
const namesOf = (templates: readonly string[]): string[] => [
  ...new Set(
    templates.flatMap((template) => [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!)),
  ),
];

/** A builder from a declaration: positional values in placeholder order, to key attributes. */
const builderOf = <D extends Record<string, string>>(declaration: D) => {
  const templates = Object.entries(declaration).filter(([attribute]) => attribute !== 'entityType');
  const names = namesOf(templates.map(([, template]) => template));
  return (...values: string[]) => {
    const byName = new Map(names.map((name, index) => [name, values[index] ?? '']));
    return Object.fromEntries(
      templates.map(([attribute, template]) => [
        attribute,
        template.replace(PLACEHOLDER, (_, name: string) => byName.get(name) ?? ''),
      ]),
    );
  };
};

type Builders<T> = {
  readonly [E in keyof T]: (...values: Arguments<DeclaredNames<T[E]>>) => Built<T[E]>;
};

/** The order sort key, so that a user's orders sort by creation time; built from its template. */
const orderSortKey = builderOf({ SK: entityKeys.order.SK });
export const orderSk = (createdAt: string, orderId: string): string =>
  orderSortKey(createdAt, orderId).SK ?? '';

/** Keys of each entity, and the index keys it projects, built from its identifying attributes. */
export const keys = Object.fromEntries(
  Object.entries({ ...entityKeys, ...indexKeys }).map(([name, declaration]) => [
    name,
    builderOf(declaration),
  ]),
) as unknown as Builders<typeof entityKeys & typeof indexKeys>;

/** The identifying attributes recovered from a key, by entity. */
export type ParsedKey = {
  [E in keyof typeof entityKeys]: { entityType: (typeof entityKeys)[E]['entityType'] } & {
    [Name in DeclaredNames<(typeof entityKeys)[E]>[number]]: string;
  };
}[keyof typeof entityKeys];

/** A template split at the separator: a literal to match, or a placeholder to capture. */
type Part = { readonly literal: string } | { readonly name: string };

const partsOf = (template: string): Part[] =>
  template
    .split(KEY_SEPARATOR)
    .map((part) => (part.startsWith('{') ? { name: part.slice(1, -1) } : { literal: part }));

/** Every entity's key as parts, grouped by the literal its partition key starts with. */
const parsers = new Map<string, { entityType: string; PK: Part[]; SK: Part[] }[]>();
for (const declaration of Object.values(entityKeys)) {
  const PK = partsOf(declaration.PK);
  const prefix = PK[0] && 'literal' in PK[0] ? PK[0].literal : '';
  const group = parsers.get(prefix) ?? [];
  group.push({ entityType: declaration.entityType, PK, SK: partsOf(declaration.SK) });
  parsers.set(prefix, group);
}

/** Matches a key attribute's parts against a template's, capturing its placeholders; false on a mismatch. */
const capture = (
  parts: readonly string[],
  template: readonly Part[],
  into: Record<string, string>,
): boolean => {
  if (parts.length !== template.length) return false;
  for (let index = 0; index < template.length; index++) {
    const part = template[index]!;
    const value = parts[index]!;
    if ('literal' in part) {
      if (value !== part.literal) return false;
    } else if (value === '') return false;
    else into[part.name] = value;
  }
  return true;
};

/**
 * Recovers the entity and its ids from a primary key, or `undefined` when the key
 * belongs to no known entity. Stream consumers use it to type a change by its keys alone,
 * which works for REMOVE records too.
 *
 * @example
 * parseKey({ PK: 'USER#u1', SK: 'PROFILE' }) // { entityType: 'User', userId: 'u1' }
 */
export const parseKey = (key: { PK?: unknown; SK?: unknown }): ParsedKey | undefined => {
  const { PK, SK } = key;
  if (typeof PK !== 'string' || typeof SK !== 'string') return undefined;
  const pkParts = PK.split(KEY_SEPARATOR);
  const skParts = SK.split(KEY_SEPARATOR);
  for (const parser of parsers.get(pkParts[0] ?? '') ?? []) {
    const parsed: Record<string, string> = { entityType: parser.entityType };
    if (capture(pkParts, parser.PK, parsed) && capture(skParts, parser.SK, parsed))
      return parsed as ParsedKey;
  }
  return undefined;
};
