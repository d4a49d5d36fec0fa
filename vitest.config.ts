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
        // Pure code and synthesised templates: no engine, no Java (`npm run test:unit`). The
        // files share each worker's module cache (no test mocks modules or globals), so
        // aws-cdk-lib, the SDK and zod load once per worker instead of once per file: about
        // 30 s instead of 90 s here.
        test: { name: 'unit', include: testFiles, exclude: integrationFiles, isolate: false },
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
