import { defineConfig } from 'vitest/config';

/**
 * Cross-origin isolation, so the page may use SharedArrayBuffer and run a simulation over several
 * workers (web/README.md "Several workers"): `npm run dev` and `vite preview` send these; a
 * static host must send them too.
 */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// One config for the web build (web/) and for vitest.
export default defineConfig({
  root: 'web',
  // Relative asset URLs, so dist/ works from any static host and any sub-path.
  base: './',
  build: { outDir: '../dist', emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  // The simulation worker is a module worker (it shares chunks with the page).
  worker: { format: 'es' },
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
  test: {
    root: '.',
    include: ['sim/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
