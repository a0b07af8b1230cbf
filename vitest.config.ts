import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of sibling workspaces; `npm start`, spawned processes and the browser use dist/.
    alias: {
      '@switchboard/wire': source('./packages/wire/src/index.ts'),
      '@switchboard/catalog': source('./packages/catalog/src/index.ts'),
      '@switchboard/server': source('./packages/server/src/index.ts'),
      '@switchboard/sdk': source('./packages/sdk/src/index.ts'),
      '@switchboard/node': source('./packages/node/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
