import { defineConfig } from 'vitest/config';

// One config for the web build (web/) and for vitest.
export default defineConfig({
  root: 'web',
  // Relative asset URLs, so dist/ works from any static host and any sub-path.
  base: './',
  build: { outDir: '../dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  // The simulation worker is a module worker (it shares chunks with the page).
  worker: { format: 'es' },
  test: {
    root: '.',
    include: ['sim/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
