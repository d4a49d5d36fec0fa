/** A single-line progress bar with rate and ETA, written to stderr. */
export interface ProgressBar {
  /** Adds to the count done; `total` may grow when it was unknown at the start. */
  tick(done?: number, total?: number): void;
  /** Prints the final line. */
  finish(): void;
}

const formatDuration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return '?';
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${Math.round(seconds % 60)}s` : `${Math.round(seconds)}s`;
};

/**
 * Creates a progress bar. On a terminal it redraws one line at most 10 times a second;
 * elsewhere (CI, pipes) it prints a line every 10% so logs stay short.
 *
 * @example
 * const bar = createProgressBar('backfill', 1000);
 * bar.tick(100);
 * bar.finish();
 */
export const createProgressBar = (
  label: string,
  total?: number,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): ProgressBar => {
  const started = now();
  let done = 0;
  let expected = total;
  let lastDraw = 0;
  let lastDecile = -1;
  const line = () => {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = done / seconds;
    if (expected === undefined || expected === 0) {
      return `${label} ${done} done, ${rate.toFixed(0)}/s, ${formatDuration(seconds)}`;
    }
    const ratio = Math.min(done / expected, 1);
    const width = 24;
    const filled = Math.round(ratio * width);
    const eta = rate > 0 ? (expected - done) / rate : Number.POSITIVE_INFINITY;
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${expected} ${(ratio * 100).toFixed(0)}% ${rate.toFixed(0)}/s ETA ${formatDuration(eta)}`;
  };
  const draw = (force: boolean) => {
    if (stream.isTTY) {
      if (!force && now() - lastDraw < 100) return;
      lastDraw = now();
      stream.write(`\r${line()}\x1b[K`);
      return;
    }
    const decile = expected ? Math.floor((done / expected) * 10) : Math.floor(Math.log10(done + 1));
    if (force || decile > lastDecile) {
      lastDecile = decile;
      stream.write(`${line()}\n`);
    }
  };
  return {
    tick(count = 1, newTotal) {
      done += count;
      if (newTotal !== undefined) expected = newTotal;
      draw(false);
    },
    finish() {
      if (stream.isTTY) {
        draw(true);
        stream.write('\n');
      } else draw(true);
    },
  };
};
