import { defineConfig } from 'vitest/config';

const testFiles = ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'];
const integrationFiles = testFiles.map((pattern) => pattern.replace('*.test.ts', '*.int.test.ts'));

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files share one DynamoDB Local on a 2-core machine.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        // Pure code and synthesised templates: no engine, no Java (`npm run test:unit`).
        test: { name: 'unit', include: testFiles, exclude: integrationFiles },
      },
      {
        extends: true,
        // Against the real local engines, which the global setup starts once for the run.
        test: {
          name: 'integration',
          include: integrationFiles,
          globalSetup: ['packages/testing/src/global-setup.ts'],
        },
      },
    ],
  },
});
