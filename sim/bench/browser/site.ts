/**
 * The built site in a browser: build it with Vite into a temporary directory (never dist/, so a
 * test run does not replace a user's build), serve it, and launch headless Chromium. Shared by the
 * frame-rate benchmark (sim/bench/web-fps.ts) and the browser tests (test/browser.test.ts,
 * test/report-browser.test.ts); it lives here because benchmarks never import tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { ensureChromium } from './chromium.js';
import { serve } from './server.js';

export const REPO = resolve(import.meta.dirname, '..', '..', '..');

/** Builds the site as `npm run build` does (the repo's vite.config.ts), into `outDir`. */
export async function buildSite(outDir: string): Promise<void> {
  // Under vitest NODE_ENV is "test", which Vite would carry into the bundle; build what
  // `npm run build` builds.
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: join(REPO, 'vite.config.ts'),
      root: join(REPO, 'web'), // the config's root is relative to the working directory
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (env === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = env;
  }
}

/**
 * Headless Chromium. Its sandbox cannot start as root (CI runs as root), so it runs without;
 * playwright-core passes --no-sandbox by default as well (`chromiumSandbox: false`), the flag here
 * only makes that explicit.
 */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: ['--no-sandbox'] });
}

export interface Site {
  /** The site's root URL, with the trailing slash. */
  url: string;
  /** The same files served with the cross-origin isolation headers (server.ts ISOLATION_HEADERS). */
  isolatedUrl: string;
  browser: Browser;
  /** Closes the browser and the server and removes the built files. */
  close(): Promise<void>;
}

/**
 * Builds the site into a temporary directory, serves it twice (as a plain static host serves it, and
 * cross-origin isolated) and launches Chromium. `isolated`: `url` is the isolated one too.
 */
export async function startSite(opts: { isolated?: boolean } = {}): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), 'topsim-site-'));
  try {
    await buildSite(dir);
    const plain = await serve(dir);
    const isolated = await serve(dir, { isolated: true });
    const closeServers = () => Promise.all([plain.close(), isolated.close()]);
    let browser: Browser;
    try {
      browser = await launch();
    } catch (e) {
      await closeServers();
      throw e;
    }
    return {
      url: opts.isolated ? isolated.url : plain.url,
      isolatedUrl: isolated.url,
      browser,
      close: async () => {
        await browser.close().catch(() => {});
        await closeServers();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
