import type { OpenSearchNode } from '@pipeline/opensearch-local';
import { SearchNodeRestartError } from './errors.js';

/**
 * The OpenSearch node of a chaos run, killed with SIGKILL and started again on the same
 * port and data directory. It always holds the node that is current: after a restart that
 * is the new JVM, which the engines' `stop()` does not know of, so {@link SearchNodeHarness.stop}
 * stops it. The first node's own stop, which the engines call, does nothing once it was
 * killed. The URL does not change, so the clients reconnect by themselves.
 *
 * @example
 * const searchNode = new SearchNodeHarness(engines.openSearchNode);
 * await searchNode.kill(); // the workload goes on while the new JVM starts
 * await searchNode.back();
 * await searchNode.stop();
 */
export class SearchNodeHarness {
  /** Milliseconds from each SIGKILL to the restarted node reporting yellow or green. */
  readonly outagesMs: number[] = [];
  readonly #first: OpenSearchNode;
  #node: OpenSearchNode;
  #restarting: Promise<void> | undefined;
  #failure: unknown;
  readonly #progress: (line: string) => void;

  constructor(node: OpenSearchNode, progress: (line: string) => void = () => {}) {
    this.#first = node;
    this.#node = node;
    this.#progress = progress;
  }

  /** The node that is current; during a restart, the one that was killed. */
  get node(): OpenSearchNode {
    return this.#node;
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
    const killed = this.#node;
    const killedAt = Date.now();
    await killed.kill();
    this.#restarting = killed
      .restart()
      .then(
        (node) => {
          this.#node = node;
          const outageMs = Date.now() - killedAt;
          this.outagesMs.push(outageMs);
          this.#progress(
            `OpenSearch node back after ${(outageMs / 1000).toFixed(1)} s (pid ${node.pid})`,
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
    while (this.#restarting) await this.#restarting;
    if (this.#failure !== undefined) throw new SearchNodeRestartError({ cause: this.#failure });
  }

  /** Stops a restarted node, once any restart under way is done; the first is the engines' to stop. */
  async stop(): Promise<void> {
    while (this.#restarting) await this.#restarting;
    if (this.#node !== this.#first) await this.#node.stop();
  }
}
