// report.html in a real browser: the file a run writes opens in Chromium with no errors, and every
// chart is an SVG with drawn marks (throughput, latency CDF, table heatmap, node distributions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { main } from '../sim/cli/main.js';
import { launch, REPO } from '../sim/bench/browser/site.js';

const SHOTS = join(REPO, 'reports', 'browser');

describe('report.html in Chromium', () => {
  let dir = '';
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'topsim-report-'));
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    const code = await main(['run', join(REPO, 'scenarios', 'top-small.yaml'), '--duration', '20s', '--workers', '1', '--out', dir], io);
    expect(code).toBe(0);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens with its charts drawn and no console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(join(dir, 'top-small', '3', 'report.html')).href);
    const charts = await page.$$eval('svg[role=img]', (svgs) => svgs.map((s) => ({
      title: s.getAttribute('aria-label') ?? '',
      marks: s.querySelectorAll('path, rect, circle, line').length,
      width: s.getBoundingClientRect().width,
    })));
    const titles = charts.map((c) => c.title).join(' | ');
    for (const want of [/Throughput per simulated second/, /latency CDF per class/, /Blocks per table/, /validator .* against its hardware/, /auditor .* against its hardware/]) {
      expect(titles).toMatch(want);
    }
    for (const c of charts) {
      expect(c.marks, c.title).toBeGreaterThan(3);
      expect(c.width, c.title).toBeGreaterThan(100);
    }
    // No scripts and no requests: the file stands alone.
    expect(await page.$$eval('script', (s) => s.length)).toBe(0);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'report.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
