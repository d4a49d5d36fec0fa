/** One subcommand of `npm run pipeline -- <name>`. */
export interface Command {
  readonly name: string;
  /** One line shown by `--help`. */
  readonly summary: string;
  /** Usage text: arguments, flags and the environment it reads. */
  readonly usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: readonly string[]): Promise<number>;
}
