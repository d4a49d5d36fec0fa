import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface PackageJson {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
}

const readPackage = (directory: string): PackageJson =>
  JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as PackageJson;

const sourceFiles = (directory: string): string[] =>
  existsSync(directory)
    ? readdirSync(directory, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => join(directory, file))
    : [];

// Bare specifiers of static imports, re-exports and dynamic imports; relative and node: ones
// are not packages.
const SPECIFIER = /(?:\bfrom\s+|\bimport\(|^import\s+)'([^'.\s][^'\s]*)'/gm;

/** The packages the files import: `@scope/name` or `name`; types of `aws-lambda` come from `@types/aws-lambda`. */
const importedPackages = (files: readonly string[]): Set<string> => {
  const names = new Set<string>();
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
      if (!specifier || specifier.startsWith('node:')) continue;
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      names.add(name === 'aws-lambda' ? '@types/aws-lambda' : name);
    }
  }
  return names;
};

const rootPackage = readPackage(root);
const rootVersions = { ...rootPackage.dependencies, ...rootPackage.devDependencies };
const workspaces = readdirSync(join(root, 'packages')).map((name) => join(root, 'packages', name));

describe('workspace packages', () => {
  it.each(workspaces.map((directory) => [directory.slice(root.length), directory]))(
    '%s declares exactly what it imports, at the versions the root pins',
    (_, directory) => {
      // Prepare
      const manifest = readPackage(directory);
      const runtime = [...importedPackages(sourceFiles(join(directory, 'src')))].filter(
        (name) => name !== manifest.name,
      );
      const testOnly = [...importedPackages(sourceFiles(join(directory, 'test')))].filter(
        (name) => name !== manifest.name && !runtime.includes(name),
      );
      const versionOf = (name: string) =>
        name.startsWith('@pipeline/') ? '0.0.0' : rootVersions[name];
      // Assess: src imports are dependencies, test-only imports devDependencies.
      expect(manifest.dependencies ?? {}).toEqual(
        Object.fromEntries(runtime.sort().map((name) => [name, versionOf(name)])),
      );
      expect(manifest.devDependencies ?? {}).toEqual(
        Object.fromEntries(testOnly.sort().map((name) => [name, versionOf(name)])),
      );
    },
  );

  it('finds the imports it checks', () => {
    // A scanner that matched nothing would pass every package above.
    expect(importedPackages(sourceFiles(join(root, 'packages', 'cli', 'src')))).toContain(
      '@pipeline/local',
    );
  });
});
