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
/** scenarios/partition-heal.yaml's seed. */
const SEED_PARTITION = 13;

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
    for (const want of [/Throughput \(transactions per second/, /latency CDF per class/, /Blocks per table/, /validator .* against its hardware/, /auditor .* against its hardware/]) {
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
    // Every figure has its SVG (with its namespace, openable alone) and, but for none, its data to download.
    const links = await page.$$eval('p.dl', (ps) => ps.map((p) => [...p.querySelectorAll('a')].map((a) => ({ name: a.getAttribute('download'), href: a.getAttribute('href') ?? '' }))));
    expect(links.length).toBe(charts.length);
    for (const l of links) {
      expect(l[0].name).toMatch(/\.svg$/);
      expect(decodeURIComponent(l[0].href.replace(/^data:image\/svg\+xml;charset=utf-8,/, ''))).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*><style>svg /);
      expect(l[1].name).toMatch(/\.csv$/);
      expect(decodeURIComponent(l[1].href.replace(/^data:text\/csv;charset=utf-8,/, '')).split('\n').length).toBeGreaterThan(2);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shades each fault window on the time charts, marks the end of the fault phase and the liveness bound, and lists the faults', async () => {
    const io = { stdout: { write: () => true }, stderr: { write: () => true } };
    expect(await main(['run', join(REPO, 'scenarios', 'partition-heal.yaml'), '--workers', '1', '--out', dir], io)).toBe(0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(join(dir, 'partition-heal', String(SEED_PARTITION), 'report.html')).href);
    const timeCharts = await page.$$eval('svg[role=img]', (svgs) => svgs
      .filter((s) => /Throughput|height|median of the transactions/.test(s.getAttribute('aria-label') ?? ''))
      .map((s) => ({ faults: s.querySelectorAll('rect.fault').length, end: s.querySelectorAll('line.faultend').length, bound: s.querySelectorAll('line.liveness').length, label: s.querySelector('text.flabel')?.textContent })));
    expect(timeCharts).toHaveLength(3);
    // Its liveness phase (50 s to 120 s) is shorter than the bound (90 s): no bound line, and the note says why.
    for (const c of timeCharts) expect(c).toEqual({ faults: 1, end: 1, bound: 0, label: 'partition region:London, region:Virginia | the rest' });
    expect(await page.textContent('body')).toContain('Liveness was not judged: the liveness phase (50 s to 120 s) is not longer than the liveness bound (90 s).');
    expect(await page.$$eval('table caption', (cs) => cs.map((c) => c.textContent))).toContain('Faults and byzantine entries (shaded on the time charts)');
    await page.screenshot({ path: join(SHOTS, 'report-faults.png'), fullPage: true });
    await page.close();
  });
});
