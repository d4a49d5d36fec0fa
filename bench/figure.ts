/** One measured figure of a benchmark. */
export interface Figure {
  /** Stable name, such as `streams.cpu_us_per_record`. */
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** The goal, such as `<= 5` or `>= 2`; absent for figures that only inform. */
  readonly target?: `${'<=' | '>=' | '<' | '>'} ${number}`;
  /** The same work done the baseline's way, in the same run. */
  readonly baseline?: { readonly label: string; readonly value: number };
  readonly note?: string;
}

/** A benchmark module: `bench/<area>.bench.ts` exporting `run`. */
export interface Benchmark {
  readonly title: string;
  run(): Promise<Figure[]>;
}

/** Whether a figure meets its target; `undefined` when it has none. */
export const meetsTarget = (figure: Figure): boolean | undefined => {
  if (!figure.target) return undefined;
  const [op, raw] = figure.target.split(' ') as [string, string];
  const goal = Number(raw);
  switch (op) {
    case '<=':
      return figure.value <= goal;
    case '>=':
      return figure.value >= goal;
    case '<':
      return figure.value < goal;
    default:
      return figure.value > goal;
  }
};

/** Runs `fn` repeatedly and returns the median wall time of one call in milliseconds. */
export const medianMs = async (fn: () => unknown, rounds = 7): Promise<number> => {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
};

/** The p-th percentile (0..100) of a list of samples. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
