/** A seeded source of pseudo-random numbers, so a chaos run can be replayed exactly. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** A key of `weights`, drawn in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
}

/**
 * mulberry32: a 32-bit generator, tiny and good enough for test schedules (not for crypto).
 *
 * @example
 * const next = mulberry32(42); next(); // 0.6011037519201636
 */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * FNV-1a over a string: a stable 32-bit hash, the same in every run and on every machine.
 *
 * @example
 * hashString('sync-search') === hashString('sync-search') // true
 */
export const hashString = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

/**
 * A uniform number in [0, 1) that depends only on the seed and the parts, never on call
 * order: fault decisions use it so that they follow the data, not the timing.
 *
 * @example
 * decide(7, 'throttle', 'ORDER#o1', 2) // the same value in every run
 */
export const decide = (seed: number, ...parts: readonly (string | number)[]): number =>
  mulberry32(hashString(`${seed}\u0000${parts.join('\u0000')}`))();

/**
 * Creates a {@link Random} from a seed.
 *
 * @example
 * const random = createRandom(42);
 * random.pick(['a', 'b']);
 */
export const createRandom = (seed: number): Random => {
  const next = mulberry32(seed);
  const random: Random = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    weighted: (weights) => {
      const entries = Object.entries(weights) as [keyof typeof weights, number][];
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      let roll = next() * total;
      for (const [key, weight] of entries) {
        roll -= weight;
        if (roll < 0) return key;
      }
      return entries[entries.length - 1]![0];
    },
  };
  return random;
};

/**
 * Draws ranks 0..n-1 with Zipf's law: rank k has weight 1/(k+1)^s, so a few products take
 * most of the orders and views, as in a real shop.
 *
 * @example
 * const next = zipfSampler(50, 1.1, Math.random); next() // 0 most often
 */
export const zipfSampler = (n: number, exponent: number, random: () => number): (() => number) => {
  const cumulative: number[] = [];
  let sum = 0;
  for (let rank = 0; rank < n; rank++) {
    sum += 1 / (rank + 1) ** exponent;
    cumulative.push(sum);
  }
  return () => {
    const target = random() * sum;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? sum) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
};
