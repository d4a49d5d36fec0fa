import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nonLoopbackAddresses, startReportingScript, tryConnect } from '@pipeline/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  JdkMissingError,
  MavenMissingError,
  openSearchVersion,
  resolveEngine,
  startOpenSearchNode,
} from '../src/index.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const until = async (condition: () => boolean, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
};

const json = async (url: string, init?: RequestInit) =>
  (await (await fetch(url, init)).json()) as Record<string, unknown>;

// Each start of a JVM takes seconds, and more on a busy 2-core machine.
const NODE_STARTS_MS = 60_000;

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('the local OpenSearch node', () => {
  it(
    'runs the pinned OpenSearch distribution on a free port of loopback only, green, and stops without a trace',
    async () => {
      // Prepare
      const others = nonLoopbackAddresses();
      // Act
      const node = await startOpenSearchNode();
      // Assess
      try {
        const info = await json(node.url);
        expect(info.version).toMatchObject({
          distribution: 'opensearch',
          number: openSearchVersion(),
        });
        expect(node.version).toBe(openSearchVersion());
        expect(await json(`${node.url}/_cluster/health`)).toMatchObject({
          status: 'green',
          number_of_nodes: 1,
        });
        const plugins = (await (await fetch(`${node.url}/_cat/plugins?format=json`)).json()) as {
          component: string;
        }[];
        expect(plugins.map((plugin) => plugin.component)).not.toContain('opensearch-security');
        expect(await tryConnect('127.0.0.1', node.port)).toBe('connected');
        expect(await Promise.all(others.map((host) => tryConnect(host, node.port)))).toEqual(
          others.map(() => 'ECONNREFUSED'),
        );
        expect(alive(node.pid)).toBe(true);
      } finally {
        await node.stop();
        await node.stop();
      }
      expect(alive(node.pid)).toBe(false);
    },
    NODE_STARTS_MS,
  );

  it(
    'keeps its indices in the data directory across a restart, and after a SIGKILL',
    async () => {
      // Prepare
      const dataDirectory = mkdtempSync(join(tmpdir(), 'opensearch-data-'));
      directories.push(dataDirectory);
      const first = await startOpenSearchNode({ dataDirectory });
      await fetch(`${first.url}/kept/_doc/1?refresh=true`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada' }),
      });
      await first.stop();
      // Act: a clean restart, then a crash and a restart
      const second = await startOpenSearchNode({ dataDirectory });
      const afterStop = await json(`${second.url}/kept/_doc/1`);
      await fetch(`${second.url}/kept/_doc/2`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Grace' }),
      });
      const killedPid = second.pid;
      await second.kill();
      await second.restart();
      try {
        // Assess: an acknowledged write survives SIGKILL, through the translog, and the
        // handle now stands for the new JVM on the same port
        expect(afterStop).toMatchObject({ found: true, _source: { name: 'Ada' } });
        expect(second.pid).not.toBe(killedPid);
        expect(alive(second.pid)).toBe(true);
        expect(await json(`${second.url}/kept/_doc/2`)).toMatchObject({
          found: true,
          _source: { name: 'Grace' },
        });
      } finally {
        await second.stop();
      }
      expect(alive(second.pid)).toBe(false);
    },
    3 * NODE_STARTS_MS,
  );
});

describe('the local OpenSearch node when things go wrong', () => {
  it(
    'leaves no JVM and no temporary directory behind when the process that started it is SIGKILLed',
    async () => {
      // Prepare: a separate Node process starts a node and reports the JVM's pid and home.
      const script = `
      import { startOpenSearchNode } from '@pipeline/opensearch-local';
      const node = await startOpenSearchNode();
      console.log(node.pid + ' ' + node.dataDirectory);
      setInterval(() => {}, 1000);
    `;
      const { child, reported } = await startReportingScript(script);
      const [pid, home] = [Number(reported.split(' ')[0]), reported.split(' ')[1] as string];
      expect(alive(pid)).toBe(true);
      expect(existsSync(home)).toBe(true);
      // Act: no exit handler runs after SIGKILL.
      child.kill('SIGKILL');
      // Assess
      expect(await until(() => !alive(pid), 20_000)).toBe(true);
      expect(existsSync(home)).toBe(false);
    },
    NODE_STARTS_MS,
  );

  it('says how to install a JDK when JAVA_HOME names none', async () => {
    const javaHome = process.env.JAVA_HOME;
    process.env.JAVA_HOME = '/nonexistent';
    try {
      await expect(resolveEngine()).rejects.toThrow(JdkMissingError);
      await expect(resolveEngine()).rejects.toThrow(/apt-get install -y openjdk-17-jdk-headless/);
    } finally {
      if (javaHome === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = javaHome;
    }
  });

  it('says how to install Maven when the node must be resolved and there is no mvn', async () => {
    // Prepare: a JDK through JAVA_HOME, a PATH without Maven, and an empty cache.
    const javac = spawnSync('sh', ['-c', 'readlink -f "$(command -v javac)"'], {
      encoding: 'utf8',
    }).stdout.trim();
    const cacheDirectory = mkdtempSync(join(tmpdir(), 'opensearch-cache-'));
    directories.push(cacheDirectory);
    const saved = { path: process.env.PATH, javaHome: process.env.JAVA_HOME };
    process.env.JAVA_HOME = dirname(dirname(javac));
    process.env.PATH = '/nonexistent';
    try {
      // Act and assess
      await expect(resolveEngine({ cacheDirectory })).rejects.toThrow(MavenMissingError);
      await expect(resolveEngine({ cacheDirectory })).rejects.toThrow(/apt-get install -y maven/);
    } finally {
      process.env.PATH = saved.path;
      if (saved.javaHome === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved.javaHome;
    }
  });
});
