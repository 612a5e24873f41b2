import { defineConfig } from 'vitest/config';

// One config for the web build (web/) and for vitest.
export default defineConfig({
  root: 'web',
  build: { outDir: '../dist', emptyOutDir: true },
  test: {
    root: '.',
    include: ['sim/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
