import { fileURLToPath } from 'node:url';
import {
  formatChaosReport,
  formatCrashRecoveryReport,
  runChaos,
  runCrashRecovery,
  type StackLauncher,
} from '@pipeline/chaos';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { readRuntimeFile } from '../runtime-file.js';

const usage = `Usage: npm run chaos -- [--seed <n>] [--ops <n>] [--ops-per-second <n>] [--ttl-wait <s>] [--json]
       npm run chaos -- --crash-restarts <n> [--seed <n>] [--ops <n>] [--ops-per-second <n>] [--ttl-wait <s>] [--json]

Runs the whole pipeline on its own in-memory local engines while driving <ops> seeded
random operations through the store and injecting faults: handler throws before or after
its write, OpenSearch 429/500/413/timeouts, DynamoDB throttling and transaction
conflicts, duplicate deliveries, crashes between a sink write and its checkpoint, runner
restarts, poison records, and the OpenSearch JVM killed with SIGKILL and restarted on
its data directory. Then it stops injecting, waits for idle, replays the DLQ and
prints the end-state invariants. Exits 1 when any invariant fails.

The same seed gives the same operations and the same fault decisions. How records group
into batches depends on timing, so a fault keyed to a batch may meet other neighbours.

With --crash-restarts <n> it checks crash recovery instead: it runs \`npm start\` as a child
process tree on a temporary data directory, drives the operations against it, and <n>
times mid-traffic SIGKILLs the whole tree (Node, DynamoDB Local, OpenSearch) and starts
it again on the same directory; then it checks the same end-state invariants. With
--data-dir the stack runs there instead, and the directory is kept.

  --seed <n>             seed of the operations and faults (default 1)
  --ops <n>              number of store operations (default 500)
  --ops-per-second <n>   pace of the operations (default 100)
  --ttl-wait <s>         seconds to wait for TTL to remove expired items (default 60)
  --crash-restarts <n>   SIGKILL the whole stack n times mid-traffic and restart it
  --json                 print the report as JSON instead of figures`;

const integer = (value: string | undefined, fallback: number, min: number): number | undefined => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  return Number.isSafeInteger(parsed) && parsed >= min ? parsed : undefined;
};

/** The stack `npm start` runs, as child processes of this command. */
export const npmStartStack = (): StackLauncher => ({
  // What `npm start` execs.
  command: [
    process.execPath,
    '--import',
    import.meta.resolve('tsx'),
    fileURLToPath(new URL('../main.ts', import.meta.url)),
    'start',
  ],
  readEndpoints: readRuntimeFile,
});

/**
 * `chaos`: a seeded fault-injection run of the local pipeline with end-state invariants.
 *
 * @example
 * npm run chaos -- --seed 7 --ops 2000
 */
export const chaosCommand: Command = {
  name: 'chaos',
  summary: 'run the local pipeline under seeded faults and check its end-state invariants',
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      seed: { type: 'string' },
      ops: { type: 'string' },
      'ops-per-second': { type: 'string' },
      'ttl-wait': { type: 'string' },
      'crash-restarts': { type: 'string' },
      json: { type: 'boolean' },
    });
    const seed = integer(values.seed, 1, 0);
    const ops = integer(values.ops, 500, 1);
    const opsPerSecond = integer(values['ops-per-second'], 100, 1);
    const ttlWait = integer(values['ttl-wait'], 60, 0);
    const crashRestarts = integer(values['crash-restarts'], 0, 1);
    if (
      seed === undefined ||
      ops === undefined ||
      opsPerSecond === undefined ||
      ttlWait === undefined ||
      crashRestarts === undefined
    ) {
      console.error(
        '--seed, --ops, --ops-per-second, --ttl-wait and --crash-restarts take non-negative integers',
      );
      console.error(usage);
      return 2;
    }
    const onProgress = (line: string) => console.error(`[chaos] ${line}`);
    if (values['crash-restarts'] !== undefined) {
      const report = await runCrashRecovery({
        stack: npmStartStack(),
        seed,
        ops,
        crashes: crashRestarts,
        opsPerSecond,
        ttlWaitMs: ttlWait * 1000,
        ...(values['data-dir'] ? { dataDirectory: values['data-dir'] } : {}),
        onProgress,
      });
      console.log(
        values.json ? JSON.stringify(report, null, 2) : formatCrashRecoveryReport(report),
      );
      return report.failures.length === 0 ? 0 : 1;
    }
    const report = await runChaos({
      seed,
      ops,
      opsPerSecond,
      ttlWaitMs: ttlWait * 1000,
      onProgress,
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatChaosReport(report));
    return report.failures.length === 0 ? 0 : 1;
  },
};
