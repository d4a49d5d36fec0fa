import type { OpenSearchNode } from '@pipeline/opensearch-local';
import { SearchNodeRestartError } from './errors.js';

/**
 * The OpenSearch node of a chaos run, killed with SIGKILL and started again on the same
 * port and data directory. The node's handle stands for whichever JVM is current, so the
 * engines' `stop()` stops the newest one; it only has to wait for a restart under way
 * ({@link SearchNodeHarness.settled}). The URL does not change, so the clients reconnect
 * by themselves.
 *
 * @example
 * const searchNode = new SearchNodeHarness(engines.openSearchNode);
 * await searchNode.kill(); // the workload goes on while the new JVM starts
 * await searchNode.back();
 * await searchNode.settled();
 * await engines.stop();
 */
export class SearchNodeHarness {
  /** Milliseconds from each SIGKILL to the restarted node reporting yellow or green. */
  readonly outagesMs: number[] = [];
  readonly #node: OpenSearchNode;
  #restarting: Promise<void> | undefined;
  #failure: unknown;
  readonly #progress: (line: string) => void;

  constructor(node: OpenSearchNode, progress: (line: string) => void = () => {}) {
    this.#node = node;
    this.#progress = progress;
  }

  /** The current JVM's process id; during a restart, the one that was killed. */
  get pid(): number {
    return this.#node.pid;
  }

  /** Whether a killed node is still starting again. */
  get down(): boolean {
    return this.#restarting !== undefined;
  }

  /**
   * Waits for an earlier restart to finish, SIGKILLs the JVM, waits for it to exit, and
   * starts the new one in the background; {@link SearchNodeHarness.back} awaits it.
   */
  async kill(): Promise<void> {
    await this.back();
    const killedAt = Date.now();
    await this.#node.kill();
    this.#restarting = this.#node
      .restart()
      .then(
        () => {
          const outageMs = Date.now() - killedAt;
          this.outagesMs.push(outageMs);
          this.#progress(
            `OpenSearch node back after ${(outageMs / 1000).toFixed(1)} s (pid ${this.#node.pid})`,
          );
        },
        (error: unknown) => {
          this.#failure = error;
          this.#progress(`OpenSearch node did not come back: ${String(error)}`);
        },
      )
      .finally(() => {
        this.#restarting = undefined;
      });
  }

  /** Resolves once the node serves again; throws when it could not be restarted. */
  async back(): Promise<void> {
    await this.settled();
    if (this.#failure !== undefined) throw new SearchNodeRestartError({ cause: this.#failure });
  }

  /** Resolves once no restart is under way, whether it succeeded or not. */
  async settled(): Promise<void> {
    while (this.#restarting) await this.#restarting;
  }
}
