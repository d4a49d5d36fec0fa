import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineResolveError, JdkMissingError, MavenMissingError } from './errors.js';

const engineDirectory = join(dirname(fileURLToPath(import.meta.url)), '..', 'engine');
const pomPath = join(engineDirectory, 'pom.xml');
const launcherPath = join(engineDirectory, 'LocalNode.java');

/** The OpenSearch version the pom pins, read from the pom so it is written once. */
export const openSearchVersion = (): string => {
  const match = /<opensearch\.version>([^<]+)<\/opensearch\.version>/.exec(
    readFileSync(pomPath, 'utf8'),
  );
  if (!match?.[1]) throw new EngineResolveError(`${pomPath} names no opensearch.version`);
  return match[1];
};

/** What it takes to start a node: the Java command and the classpath of the node and its launcher. */
export interface Engine {
  readonly version: string;
  /** `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on the PATH. */
  readonly java: string;
  readonly classpath: string;
}

/** Options of {@link resolveEngine}. */
export interface ResolveEngineOptions {
  /**
   * Where the resolved classpath and the compiled launcher are kept between runs (the jars
   * themselves stay in Maven's own repository, `~/.m2`).
   * @default `$XDG_CACHE_HOME/ddb-stream-pipeline`, else `~/.cache/ddb-stream-pipeline`
   */
  readonly cacheDirectory?: string;
  /** Called with a line of progress while Maven downloads, on the first run only. */
  readonly onProgress?: (message: string) => void;
}

const javaTool = (tool: 'java' | 'javac'): string =>
  process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', tool) : tool;

const javaMajor = (java: string): number => {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (result.error) throw new JdkMissingError(`\`${java}\` was not found`, { cause: result.error });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!(major >= 17)) throw new JdkMissingError(`found ${match ? match[0] : 'an unknown version'}`);
  return major;
};

const assertTool = (command: string, args: string[], missing: (detail: string) => Error): void => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw missing(`\`${command}\` did not run`);
};

const defaultCacheDirectory = (): string =>
  join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ddb-stream-pipeline');

/** Whether a line of Maven's batch-mode output reports a finished download. */
export const isMavenDownload = (line: string): boolean =>
  /^(\[INFO\] )?Downloaded from [\w.-]+: /.test(line);

/** Runs Maven to write the node's classpath to `outputFile`, reporting downloads as they happen. */
const resolveClasspath = (
  outputFile: string,
  version: string,
  onProgress: (message: string) => void,
): Promise<void> =>
  new Promise((resolve, reject) => {
    const maven = spawn(
      'mvn',
      ['-B', '-f', pomPath, 'dependency:build-classpath', `-Dmdep.outputFile=${outputFile}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let downloads = 0;
    let tail = '';
    let pending = '';
    const read = (chunk: Buffer) => {
      const text = pending + chunk.toString();
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail = `${tail}${line}\n`.slice(-4000);
        if (isMavenDownload(line)) {
          downloads += 1;
          if (downloads === 1 || downloads % 50 === 0) {
            onProgress(
              `OpenSearch ${version}: ${downloads} files downloaded from Maven Central (first run only)`,
            );
          }
        }
      }
    };
    maven.stdout.on('data', read);
    maven.stderr.on('data', read);
    maven.once('error', (error) =>
      reject(new MavenMissingError('`mvn` was not found on the PATH', { cause: error })),
    );
    maven.once('exit', (code) => {
      if (code === 0) {
        if (downloads > 0)
          onProgress(`OpenSearch ${version}: ${downloads} files downloaded, cached`);
        resolve();
      } else {
        reject(
          new EngineResolveError(`Maven could not resolve ${pomPath} (exit ${code}):\n${tail}`),
        );
      }
    });
  });

/**
 * Resolves OpenSearch and its modules from Maven Central and compiles the launcher, once:
 * later calls reuse the cached classpath while the pom, the launcher and the JDK are the same.
 *
 * @example
 * const engine = await resolveEngine({ onProgress: console.error });
 */
export const resolveEngine = async (options: ResolveEngineOptions = {}): Promise<Engine> => {
  const java = javaTool('java');
  const major = javaMajor(java);
  const version = openSearchVersion();
  const key = createHash('sha256')
    .update(readFileSync(pomPath))
    .update(readFileSync(launcherPath))
    .update(String(major))
    .digest('hex')
    .slice(0, 12);
  const directory = join(
    options.cacheDirectory ?? defaultCacheDirectory(),
    `opensearch-${version}-${key}`,
  );
  const classpathFile = join(directory, 'classpath.txt');
  const classes = join(directory, 'classes');

  const cached = existsSync(classpathFile) && existsSync(join(classes, 'LocalNode.class'));
  if (cached) {
    const jars = readFileSync(classpathFile, 'utf8').trim();
    // Maven's repository may have been cleared since; then resolve again.
    if (jars.split(delimiter).every((jar) => existsSync(jar))) {
      return { version, java, classpath: `${classes}${delimiter}${jars}` };
    }
  }

  assertTool('mvn', ['-v'], (detail) => new MavenMissingError(detail));
  const javac = javaTool('javac');
  assertTool(
    javac,
    ['-version'],
    (detail) => new JdkMissingError(`${detail}: a JRE alone cannot compile the launcher`),
  );
  // Built beside the cache entry and renamed into place, so concurrent first runs cannot
  // see half of one.
  const staging = `${directory}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'classes'), { recursive: true });
  try {
    const stagedClasspath = join(staging, 'classpath.txt');
    await resolveClasspath(stagedClasspath, version, options.onProgress ?? (() => {}));
    const jars = readFileSync(stagedClasspath, 'utf8').trim();
    const compiled = spawnSync(
      javac,
      ['-nowarn', '-cp', jars, '-d', join(staging, 'classes'), launcherPath],
      { encoding: 'utf8' },
    );
    if (compiled.status !== 0) {
      throw new EngineResolveError(`javac could not compile ${launcherPath}:\n${compiled.stderr}`);
    }
    writeFileSync(stagedClasspath, jars);
    rmSync(directory, { recursive: true, force: true });
    renameSync(staging, directory);
    return { version, java, classpath: `${classes}${delimiter}${jars}` };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
};
