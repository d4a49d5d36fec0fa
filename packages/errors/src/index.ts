/**
 * The base class of every error the pipeline's packages raise. Each package narrows `Code`
 * to the union of its own codes, which read `<package>.<what>` (`store.notFound`,
 * `stream.decode`), so a caller can branch on a code the compiler knows, or on a whole
 * package's errors by prefix with {@link PipelineError.matches} or {@link isPipelineError}.
 *
 * @example
 * type StoreErrorCode = 'store.notFound' | 'store.validation';
 * class StoreError extends PipelineError<StoreErrorCode> {}
 * try { await store.users.delete('u1'); } catch (error) {
 *   if (isPipelineError(error, 'store') && error.code === 'store.notFound') return undefined;
 *   throw error;
 * }
 */
export class PipelineError<Code extends string = string> extends Error {
  /** Stable across releases: branch on it rather than on the message. */
  readonly code: Code;
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /**
   * Whether the code is `prefix` itself or lies under it (`store` matches `store.notFound`;
   * `store.not` does not).
   *
   * @example
   * if (error.matches('store')) console.warn(error.code);
   */
  matches<Prefix extends string>(
    prefix: Prefix,
  ): this is PipelineError<Extract<Code, Prefix | `${Prefix}.${string}`>> {
    const code: string = this.code;
    return code === prefix || code.startsWith(`${prefix}.`);
  }
}

/**
 * Whether `error` is a {@link PipelineError}, with its code under `prefix` when one is given.
 *
 * @example
 * if (isPipelineError(error, 'stream')) logger.warn('undecodable record', { code: error.code });
 */
export const isPipelineError = (error: unknown, prefix?: string): error is PipelineError =>
  error instanceof PipelineError && (prefix === undefined || error.matches(prefix));
