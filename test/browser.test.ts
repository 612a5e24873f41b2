/**
 * The visualizer in a real browser: the site as `npm run build` builds it, served as plain files and
 * driven in headless Chromium through the page's stable element ids and `window.topsim`
 * (web/README.md). A run in the page must give the digest the command line gives for the scenario
 * the page exports.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { REPO, startSite, type Site } from '../sim/bench/browser/site.js';

const SHOTS = join(REPO, 'reports', 'browser');
const VIEWS = ['network', 'tables', 'charts', 'inspector'] as const;
/** The ids web/README.md promises. */
const IDS = [
  'scenario', 'file', 'seed', 'load', 'errors', 'status', 'play', 'pause', 'step', 'speed', 'timeline', 'time', 'pace',
  'tables-title', 'tables-host', 'family-host',
  'stat-committed', 'stat-tps', 'stat-events', 'stat-digest', 'fps',
  'view-network', 'view-tables', 'view-charts', 'view-inspector', 'group-by', 'msg-filter', 'node',
  'crash', 'restart', 'equivocate', 'part-a', 'part-b', 'partition', 'heal', 'actions', 'export', 'share',
  'workers', 'workers-note', 'run-ahead',
];
const DEFAULT_DURATION_US = 60_000_000; // scenarios/default.yaml
const VIZ_DURATION_US = 60_000_000; // scenarios/viz-1k.yaml
/** Waits for the page (a machine running the rest of the suite beside it may be slow). */
const LOAD_MS = 60_000;
/** A whole run of default.yaml in the page at speed max. */
const RUN_MS = 150_000;

interface PageState {
  status: string;
  now_us: number;
  duration_us: number;
  done: boolean;
  digest: string | null;
  committed: number;
  tps: number;
  events: number;
  fps: number;
  /** The node count. */
  nodes: number;
  /** Names of the nodes that are down now. */
  crashed: string[];
  /** Workers running the simulation, and whether the page is cross-origin isolated. */
  workers: number;
  isolated: boolean;
  /** Running ahead: computing, replaying, or not. */
  ahead: 'computing' | 'replaying' | null;
}
interface Topsim {
  state(): PageState;
  exportText(): Promise<string>;
}
type Win = { topsim?: Topsim };

interface Opened {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, in order. */
  errors: string[];
}

let site: Site | undefined;
let cur: Opened | undefined;
/** The digest of default.yaml with no actions, once the export test has run it. */
let plainDigest: string | undefined;

/** Opens the page (closing the one before) with `query` (`?scenario=...`), collecting errors; `base`: another URL of the site. */
async function open(query = '', base?: string): Promise<Opened> {
  await closeCurrent();
  if (!site) throw new Error('the site was not built');
  const context = await site.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(LOAD_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url}:${m.location().lineNumber})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
  cur = { context, page, errors };
  await page.goto((base ?? site.url) + query, { waitUntil: 'load' });
  return cur;
}

/** Checks that the open page logged no error, then closes it. */
async function closeCurrent(): Promise<void> {
  const o = cur;
  cur = undefined;
  if (!o) return;
  await o.context.close().catch(() => {});
  expect(o.errors, 'console errors and page errors').toEqual([]);
}

async function state(page: Page): Promise<PageState> {
  return page.evaluate(() => (window as unknown as Win).topsim!.state());
}

/** What the page shows, for a failure message. */
async function describePage(o: Opened): Promise<string> {
  const shown = await o.page
    .evaluate(() => ({
      status: document.getElementById('status')?.dataset.state,
      errors: [...document.querySelectorAll('#errors li')].map((li) => li.textContent),
      actions: [...document.querySelectorAll('#actions li')].map((li) => li.textContent),
      state: (() => {
        try {
          const s = (window as unknown as Win).topsim?.state();
          return s ?? 'no window.topsim';
        } catch (e) {
          return `state() threw: ${e}`;
        }
      })(),
    }))
    .catch((e: unknown) => `page did not answer: ${e}`);
  return `${JSON.stringify(shown)}; page errors: ${JSON.stringify(o.errors)}`;
}

/** Waits until `fn(arg)` is truthy in the page (polled), naming `what` and the page's state on timeout. */
async function until<A>(o: Opened, what: string, fn: (arg: A) => unknown, arg: A, timeout = LOAD_MS): Promise<void> {
  try {
    await o.page.waitForFunction(fn as (a: unknown) => unknown, arg as unknown, { polling: 250, timeout });
  } catch (e) {
    throw new Error(`waiting for ${what}: ${(e as Error).message.split('\n')[0]}; the page: ${await describePage(o)}`);
  }
}

/** Waits for `#status[data-state]` to be one of `states`, and for a matching `duration_us` if given. */
async function untilStatus(o: Opened, states: string[], duration_us?: number, timeout = LOAD_MS): Promise<void> {
  await until(
    o,
    `status ${states.join('|')}${duration_us === undefined ? '' : ` with duration_us ${duration_us}`}`,
    ({ states, duration_us }) => {
      const st = document.getElementById('status')?.dataset.state;
      if (st === undefined || !states.includes(st)) return false;
      if (duration_us === undefined) return true;
      return (window as unknown as Win).topsim?.state().duration_us === duration_us;
    },
    { states, duration_us },
    timeout,
  );
}

/** Opens default.yaml through the URL, ready to play. */
async function openDefault(query = '?scenario=default.yaml'): Promise<Opened> {
  const o = await open(query);
  await untilStatus(o, ['ready'], DEFAULT_DURATION_US);
  return o;
}

async function play(o: Opened, speed: string): Promise<void> {
  await o.page.selectOption('#speed', speed);
  await o.page.click('#play');
}

async function runToEnd(o: Opened): Promise<PageState> {
  await play(o, 'max');
  await untilStatus(o, ['done'], undefined, RUN_MS);
  const s = await state(o.page);
  expect(s.done).toBe(true);
  expect(s.now_us).toBe(s.duration_us);
  expect(s.digest).toMatch(/^[0-9a-f]{64}$/);
  return s;
}

/** A number shown in an element (`1,234`, `97.4 tx/s`); NaN when it shows none. */
async function shownNumber(page: Page, sel: string): Promise<number> {
  const text = (await page.textContent(sel)) ?? '';
  const m = text.replace(/,/g, '').match(/-?\d+(\.\d+)?/);
  return m ? Number(m[0]) : NaN;
}

/** The value of the `#node` option that shows node `name` (options read `v1 (validator, vgroup:0)`). */
async function nodeOption(page: Page, name: string): Promise<string> {
  const options = await page.locator('#node option')
    .evaluateAll((os) => os.map((x) => ({ value: (x as HTMLOptionElement).value, text: x.textContent ?? '' })));
  const o = options.find((x) => x.value === name || x.text.split(/\s/)[0] === name);
  if (!o) throw new Error(`no option for node ${name} in #node: ${JSON.stringify(options.slice(0, 5))}...`);
  return o.value;
}

async function listItems(page: Page, sel: string): Promise<string[]> {
  return page.locator(`${sel} li`).allTextContents();
}

/**
 * Runs the command line on a scenario text; its summary JSON. One worker thread: the digest is the
 * same for any --workers, and a small scenario runs several times faster in one thread.
 */
function cliRun(text: string): { digest: string } {
  const dir = mkdtempSync(join(tmpdir(), 'topsim-browser-'));
  const file = join(dir, 'exported.yaml');
  writeFileSync(file, text);
  const r = spawnSync('npx', ['tsx', 'sim/cli/entry.ts', 'run', file, '--json', '--workers', '1', '--out', join(dir, 'out')], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 180_000,
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`sim run ${file}: exit ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout);
}

/** Deterministic printable garbage with line breaks and YAML punctuation, `bytes` long. */
function garbage(bytes: number): Buffer {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t:-[]{}"\',#&*!|>%@`\n';
  const buf = Buffer.alloc(bytes);
  let x = 0x9e3779b9;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = chars.charCodeAt((x >>> 0) % chars.length);
  }
  return buf;
}

/** The error lines the page shows. */
async function shownErrors(page: Page): Promise<string[]> {
  return page.locator('#errors li').allTextContents();
}

/**
 * After a failed start (status `error`, nothing loaded): Load starts the scenario in the picker
 * (default.yaml), or `start` opens one, and the run goes on from there.
 */
async function recoverWithLoad(o: Opened, what: string, start = () => o.page.click('#load')): Promise<void> {
  await start();
  await untilStatus(o, ['ready'], DEFAULT_DURATION_US);
  expect(await shownErrors(o.page), `${what}: errors after Load`).toEqual([]);
  expect(await o.page.locator('#errors').isHidden(), `${what}: #errors hidden`).toBe(true);
  await play(o, '100');
  await until(o, `${what}: the run past 1 s after Load`, () => {
    const s = (window as unknown as Win).topsim!.state();
    return s.status === 'running' && s.now_us >= 1_000_000 && s.events > 0;
  }, undefined, RUN_MS);
  await o.page.click('#pause');
  await untilStatus(o, ['paused']);
}

describe('visualizer in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    site = await startSite();
  }, 240_000);

  afterEach(async () => {
    await closeCurrent();
  });

  afterAll(async () => {
    await site?.close();
  });

  it('the built page loads with every element of its contract and no errors', async () => {
    const o = await open();
    await untilStatus(o, ['ready']);
    const missing: string[] = [];
    for (const id of IDS) if ((await o.page.locator(`#${id}`).count()) !== 1) missing.push(id);
    expect(missing, 'ids missing from the page').toEqual([]);
    const api = await o.page.evaluate(() => {
      const t = (window as unknown as Win).topsim;
      return { state: typeof t?.state, exportText: typeof t?.exportText };
    });
    expect(api).toEqual({ state: 'function', exportText: 'function' });
    const s = await state(o.page);
    for (const k of ['status', 'now_us', 'duration_us', 'done', 'digest', 'committed', 'tps', 'events', 'fps', 'nodes', 'crashed']) {
      expect(s).toHaveProperty(k);
    }
    expect(s.status).toBe('ready');
    expect(s.now_us).toBe(0);
    const scenarios = await o.page.locator('#scenario option').evaluateAll((os) => os.map((x) => (x as HTMLOptionElement).value));
    expect(scenarios).toContain('default.yaml');
    expect(await o.page.locator('#speed option').evaluateAll((os) => os.map((x) => (x as HTMLOptionElement).value)))
      .toEqual(['0.5', '1', '5', '20', '100', 'max']);
  }, 120_000);

  it('plays default.yaml at speed max: blocks commit, TPS shows, and every view draws', async () => {
    const o = await open();
    await untilStatus(o, ['ready']);
    const page = o.page;
    const options = await page.locator('#scenario option').evaluateAll((os) => os.map((x) => (x as HTMLOptionElement).value));
    // Picking default.yaml must load it: first load another one (of a different duration) if the
    // page starts on default.yaml, so the wait below cannot be satisfied by what was there before.
    if ((await page.inputValue('#scenario')) === 'default.yaml' && options.includes('leader-crash.yaml')) {
      await page.selectOption('#scenario', 'leader-crash.yaml');
      await untilStatus(o, ['ready'], 90_000_000);
    }
    await page.selectOption('#scenario', 'default.yaml');
    await untilStatus(o, ['ready'], DEFAULT_DURATION_US);
    await play(o, 'max');
    await until(o, 'committed blocks and a TPS figure', () => {
      const s = (window as unknown as Win).topsim!.state();
      const [committed, tps] = ['stat-committed', 'stat-tps']
        .map((id) => Number((document.getElementById(id)?.textContent ?? '').replace(/,/g, '').match(/-?\d+(\.\d+)?/)?.[0]));
      return s.committed > 0 && s.tps > 0 && committed > 0 && tps > 0 && s.now_us >= 15_000_000;
    }, undefined, RUN_MS);
    await page.click('#pause');
    await untilStatus(o, ['paused', 'done']);
    expect(await shownNumber(page, '#stat-committed')).toBeGreaterThan(0);
    expect(await shownNumber(page, '#stat-tps')).toBeGreaterThan(0);
    const s = await state(page);
    expect(s.committed).toBeGreaterThan(0);
    expect(s.tps).toBeGreaterThan(0);
    expect(s.events).toBeGreaterThan(0);
    // Grouped by region, the network is a world map with the nodes at their regions.
    expect(await page.evaluate(() => (window as unknown as { topsim: { state(): { map: boolean } } }).topsim.state().map)).toBe(false);
    await page.selectOption('#group-by', 'region');
    expect(await page.evaluate(() => (window as unknown as { topsim: { state(): { map: boolean } } }).topsim.state().map)).toBe(true);
    await page.locator('#view-network').screenshot({ path: join(SHOTS, 'network-map.png') });
    await page.selectOption('#group-by', 'group');
    // A committed block opens: its legs, and the unit chains of the accounts it touched (the lattice).
    await page.locator('#tables-host rect.committed').last().click();
    await until(o, 'the block panel', () => !(document.getElementById('block-panel')?.hidden ?? true), undefined);
    const panel = (await page.textContent('#block-panel')) ?? '';
    expect(panel).toMatch(/Table block T0 #\d+/);
    expect(panel).toContain('Unit chains of the accounts it touched');
    expect(await page.locator('#block-panel table.detail').first().locator('tr').count()).toBeGreaterThan(1);
    await page.locator('#view-tables').screenshot({ path: join(SHOTS, 'block-panel.png') });
    await page.click('#block-panel button.close');
    expect(await page.locator('#block-panel').isHidden()).toBe(true);
    // The tables view draws the structure: the auditor group over the validator group over the table.
    expect(await page.locator('#tables-host g.structure text.group').allTextContents()).toEqual(['ag0', 'vg0']);
    for (const v of VIEWS) {
      const box = await page.locator(`#view-${v}`).boundingBox();
      expect(box && box.width * box.height, `#view-${v} has an area`).toBeGreaterThan(0);
      const file = join(SHOTS, `${v}.png`);
      await page.locator(`#view-${v}`).screenshot({ path: file });
      expect(statSync(file).size).toBeGreaterThan(1000);
    }
    await page.screenshot({ path: join(SHOTS, 'page.png'), fullPage: true });
  }, 240_000);

  it('draws Bystack in its own panel: both chains with confirmations and stale blocks, pegs crossing, signatures gathering, the producer rotation', async () => {
    const o = await open();
    await untilStatus(o, ['ready']);
    const page = o.page;
    await page.selectOption('#scenario', 'bystack.yaml');
    await untilStatus(o, ['ready'], 7_200_000_000);
    await play(o, 'max');
    // Past 10 main-chain blocks (150 s each), so some are final and pegs are on their way.
    await until(o, 'the run past 30 min', () => (window as unknown as Win).topsim!.state().now_us >= 1_800_000_000, undefined, RUN_MS);
    await page.click('#pause');
    await untilStatus(o, ['paused', 'done']);
    expect(await page.locator('#tables-host').isHidden()).toBe(true);
    expect(await page.textContent('#tables-title')).toBe('Chains: Bytom main chain, federation, Vapor side chain');
    // The introduction explains Bystack, not TOP.
    const about = () => page.$$eval('#about [data-family]', (els) => els.map((e) => [(e as HTMLElement).dataset.family, (e as HTMLElement).hidden]));
    expect(await about()).toEqual([['top', true], ['bystack', false]]);
    await page.click('#about summary');
    expect(await page.locator('#about [data-family="bystack"]').textContent()).toContain('a block is irreversible past 2/3 of the signatures');
    const panel = page.locator('#family-host svg.bystack');
    const count = (sel: string) => panel.locator(sel).count();
    // As many of the newest blocks as the panel's width holds.
    expect(await count('g.main g.block')).toBeGreaterThanOrEqual(5);
    expect(await count('g.main g.block.final')).toBeGreaterThanOrEqual(1);
    expect(await count('g.main g.block.best')).toBeGreaterThanOrEqual(1);
    expect(await panel.locator('g.main g.block.best text.conf').first().textContent()).toMatch(/^\d\/6 conf$/);
    expect(await count('g.side g.block')).toBeGreaterThanOrEqual(14);
    expect(await count('g.side g.block.irreversible')).toBeGreaterThanOrEqual(10);
    expect(await count('g.side g.block rect.meter')).toBe(await count('g.side g.block'));
    expect(await count('g.rot g.chip')).toBe(10);
    expect(await count('g.rot g.chip.current')).toBe(1);
    expect(await count('g.fed g.peg')).toBeGreaterThanOrEqual(1);
    expect(await panel.locator('text.fed-title').textContent()).toMatch(/^Federation: 2 of 4 signers\. Pegs on their way: \d+ in, \d+ out$/);
    expect(await count('g.fed g.peg.in')).toBeGreaterThanOrEqual(1);
    expect(await count('g.fed g.peg.out')).toBeGreaterThanOrEqual(1);
    expect(await panel.locator('text.rot-title').textContent()).toMatch(/makes the next block, \d+ of its 12 slots left$/);
    const file = join(SHOTS, 'bystack-chains.png');
    await page.locator('#view-tables').screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(1000);
    // A TOP scenario after it gets the tables view back.
    await page.selectOption('#scenario', 'default.yaml');
    await untilStatus(o, ['ready'], DEFAULT_DURATION_US);
    expect(await page.locator('#tables-host').isHidden()).toBe(false);
    expect(await page.locator('#family-host').isHidden()).toBe(true);
    expect(await page.textContent('#tables-title')).toBe('Tables');
    expect(await about()).toEqual([['top', false], ['bystack', true]]);
  }, 240_000);

  it('crashes the inspected node from the page and marks it', async () => {
    const o = await openDefault();
    const page = o.page;
    // Seek on the timeline to 5 s: a fixed time, so the table has the rest of the run to go on without v1.
    await page.$eval('#timeline', (el) => {
      (el as HTMLInputElement).value = '5000';
      el.dispatchEvent(new Event('change'));
    });
    await until(o, 'paused at 5 s', () => {
      const s = (window as unknown as Win).topsim!.state();
      return s.status === 'paused' && s.now_us === 5_000_000;
    }, undefined, RUN_MS);
    const at = (await state(page)).now_us;
    await page.selectOption('#node', await nodeOption(page, 'v1'));
    // Restart on a node that is up says why it does nothing.
    await page.click('#restart');
    expect(await shownErrors(page)).toEqual(['restart: v1 is running: Restart brings back a node crashed from the page (Crash it first)']);
    expect(await listItems(page, '#actions')).toHaveLength(0);
    await page.click('#crash');
    await until(o, 'a crash of v1 in #actions', () =>
      [...document.querySelectorAll('#actions li')].some((li) => /crash/i.test(li.textContent ?? '') && /\bv1\b/.test(li.textContent ?? '')), undefined);
    expect(await listItems(page, '#actions')).toHaveLength(1);
    // The page re-runs to the action's time and stays paused there, v1 down.
    await until(o, 'v1 marked crashed, paused', () => {
      const s = (window as unknown as Win).topsim!.state();
      return s.status === 'paused' && s.crashed.includes('v1');
    }, undefined, RUN_MS);
    const after = await state(page);
    expect(after.now_us).toBeGreaterThanOrEqual(at);
    expect(after.crashed, 'the nodes marked down').toEqual(['v1']);
    await until(o, 'the inspector showing v1 crashed', () => {
      const rows = [...document.querySelectorAll('#inspector tr')].map((tr) => [...tr.children].map((c) => c.textContent?.trim()));
      return rows.some((r) => r[0] === 'node' && /^v1\b/.test(r[1] ?? '')) && rows.some((r) => r[0] === 'state' && /crashed/.test(r[1] ?? ''));
    }, undefined);
    await page.locator('#view-network').screenshot({ path: join(SHOTS, 'network-crashed.png') });
    // One crashed validator of seven is within tolerance: the table goes on committing.
    const committed = after.committed;
    await play(o, 'max');
    await until(o, 'more commits after the crash', (c) => (window as unknown as Win).topsim!.state().committed > c, committed, RUN_MS);
    await page.click('#pause');
    await untilStatus(o, ['paused', 'done']);
    expect((await state(page)).crashed).toEqual(['v1']);
    expect(await page.evaluate(() => (window as unknown as Win).topsim!.exportText())).toMatch(/crash/);
  }, 240_000);

  it('exports a scenario the command line runs to the same digest', async () => {
    const o = await openDefault();
    const page = o.page;
    const s = await runToEnd(o);
    const shown = ((await page.textContent('#stat-digest')) ?? '').trim();
    expect(shown, '#stat-digest').toBe(s.digest);
    const text = await page.evaluate(() => (window as unknown as Win).topsim!.exportText());
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    expect(download.suggestedFilename()).toMatch(/\.yaml$/);
    expect(readFileSync(await download.path(), 'utf8')).toBe(text);
    expect(cliRun(text).digest).toBe(s.digest);
    plainDigest = s.digest!;
  }, 300_000);

  it('runs over two workers where the page is cross-origin isolated, to the digest of one, and says why not elsewhere', async () => {
    const query = '?scenario=default.yaml&seed=42&actions=crash:v1@5000000&workers=2';
    // A plain static host: no shared memory, so the picker is off and the run takes one worker, saying why.
    let o = await openDefault(query);
    let s = await state(o.page);
    expect(s.isolated).toBe(false);
    expect(s.workers).toBe(1);
    expect(await o.page.locator('#workers').isDisabled()).toBe(true);
    expect((await o.page.textContent('#workers-note')) ?? '').toMatch(/^one worker: several need a cross-origin isolated page/);
    expect(await shownErrors(o.page)).toEqual([]);
    // Served with COOP and COEP: two workers.
    o = await open(query, site!.isolatedUrl);
    await untilStatus(o, ['ready'], DEFAULT_DURATION_US);
    const page = o.page;
    s = await state(page);
    expect(s.isolated).toBe(true);
    expect(s.workers).toBe(2);
    expect(await page.inputValue('#workers')).toBe('2');
    expect(await page.locator('#workers-note').isHidden()).toBe(true);
    await play(o, 'max');
    await until(o, 'simulated time past 10 s', () => (window as unknown as Win).topsim!.state().now_us >= 10_000_000, undefined, RUN_MS);
    await page.click('#pause');
    await untilStatus(o, ['paused']);
    s = await state(page);
    expect(s.crashed, 'v1 down after its crash at 5 s').toEqual(['v1']);
    expect(s.committed).toBeGreaterThan(0);
    // The inspector reads the node from the worker that runs it.
    await page.selectOption('#node', await nodeOption(page, 'v3'));
    await until(o, 'the inspector showing v3 with its replica\'s committed height', () => {
      const rows = [...document.querySelectorAll('#inspector tr')].map((tr) => [...tr.children].map((c) => c.textContent?.trim()));
      return rows.some((r) => r[0] === 'node' && /^v3\b/.test(r[1] ?? '')) && rows.some((r) => /^T\d+$/.test(r[0] ?? '') && Number(r[2]) > 0);
    }, undefined);
    await page.locator('#view-network').screenshot({ path: join(SHOTS, 'workers-2.png') });
    // Another count of workers runs the same run again to where it was.
    const at = s.now_us;
    await page.selectOption('#workers', '1');
    await until(o, 'the run on one worker back where it was', (t) => {
      const x = (window as unknown as Win).topsim!.state();
      return x.workers === 1 && x.status === 'paused' && x.now_us >= t;
    }, at, RUN_MS);
    const one = await state(page);
    await page.selectOption('#workers', '2');
    await until(o, 'the run on two workers back where it was', (t) => {
      const x = (window as unknown as Win).topsim!.state();
      return x.workers === 2 && x.status === 'paused' && x.now_us >= t;
    }, at, RUN_MS);
    expect((await state(page)).crashed).toEqual(one.crashed);
    s = await runToEnd(o);
    expect(s.workers).toBe(2);
    const text = await page.evaluate(() => (window as unknown as Win).topsim!.exportText());
    expect(cliRun(text).digest).toBe(s.digest);
  }, 300_000);

  it('a share URL with actions reproduces its run', async () => {
    const o = await openDefault('?scenario=default.yaml&seed=42&actions=crash:v1@5000000');
    const page = o.page;
    expect(await page.inputValue('#seed')).toBe('42');
    const actions = await listItems(page, '#actions');
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatch(/crash/i);
    expect(actions[0]).toMatch(/\bv1\b/);
    const s = await runToEnd(o);
    const text = await page.evaluate(() => (window as unknown as Win).topsim!.exportText());
    expect(text).toMatch(/crash/);
    expect(text).toMatch(/\bv1\b/);
    expect(cliRun(text).digest).toBe(s.digest);
    if (plainDigest !== undefined) expect(s.digest, 'the crash changes the run').not.toBe(plainDigest);
  }, 300_000);

  it('a scenario file with a bad value shows an error naming its path', async () => {
    const o = await openDefault();
    const bad = readFileSync(join(REPO, 'scenarios', 'default.yaml'), 'utf8').replace(/^  validators: 7$/m, '  validators: -3');
    expect(bad).toMatch(/validators: -3/);
    await o.page.setInputFiles('#file', { name: 'bad.yaml', mimeType: 'application/yaml', buffer: Buffer.from(bad) });
    await until(o, 'an error in #errors', () => document.querySelectorAll('#errors li').length > 0, undefined);
    const errors = await listItems(o.page, '#errors');
    expect(errors.some((e) => e.startsWith('topology.validators: ')), `errors: ${JSON.stringify(errors)}`).toBe(true);
    // The run loaded before stays.
    expect((await state(o.page)).duration_us).toBe(DEFAULT_DURATION_US);
  }, 120_000);

  it('says when the run cannot keep the chosen speed, and how fast it runs', async () => {
    const o = await open();
    await untilStatus(o, ['ready']);
    const page = o.page;
    await page.selectOption('#scenario', 'viz-1k.yaml');
    await untilStatus(o, ['ready'], VIZ_DURATION_US);
    await until(o, 'viz-1k loaded', () => (window as unknown as Win).topsim!.state().nodes >= 1000, undefined, RUN_MS);
    expect(await page.locator('#pace').isHidden()).toBe(true);
    // 1,000 nodes at 100 times real time: more than this machine (or any) simulates in a page.
    await play(o, '100');
    await until(o, 'the pace notice', () => !(document.getElementById('pace')?.hidden ?? true), undefined, RUN_MS);
    expect(await page.textContent('#pace')).toMatch(/^running at [\d.]+× of real time, not the 100× chosen: this machine cannot simulate the run faster/);
    await page.click('#pause');
    await untilStatus(o, ['paused']);
    await until(o, 'the notice gone once paused', () => document.getElementById('pace')?.hidden ?? false, undefined);
  }, 180_000);

  it('computes a run too slow for its speed ahead, then replays it at that speed, to the same digest', async () => {
    const o = await open();
    await untilStatus(o, ['ready']);
    const page = o.page;
    const text = readFileSync(join(REPO, 'scenarios', 'viz-1k.yaml'), 'utf8').replace(/^duration: 60s$/m, 'duration: 12s').replace(/^warmup: 10s$/m, 'warmup: 2s');
    expect(text).toMatch(/^duration: 12s$/m);
    await page.setInputFiles('#file', { name: 'viz-12s.yaml', mimeType: 'application/yaml', buffer: Buffer.from(text) });
    await untilStatus(o, ['ready'], 12_000_000);
    await play(o, '5');
    await until(o, 'the pace notice offering to run ahead', () => !(document.getElementById('run-ahead')?.hidden ?? true), undefined, RUN_MS);
    const from = (await state(page)).now_us;
    await page.click('#run-ahead');
    await until(o, 'the run computed ahead', () => (window as unknown as Win).topsim!.state().ahead !== null, undefined);
    expect(await page.locator('#run-ahead').isHidden()).toBe(true);
    expect((await page.textContent('#pace')) ?? '').toMatch(/^(computing ahead \(computed to [\d.]+ s of 12(\.0)? s\)|replaying at 5×)/);
    await until(o, 'the replay', () => (window as unknown as Win).topsim!.state().ahead === 'replaying', undefined, RUN_MS);
    // The replay keeps the chosen speed, which the live run could not.
    const t0 = Date.now();
    const a = (await state(page)).now_us;
    await page.waitForTimeout(800);
    const b = await state(page);
    const kept = (b.now_us - a) / 1000 / (Date.now() - t0);
    if (b.ahead === 'replaying' && b.now_us < 12_000_000) expect(kept, 'replayed simulated s per wall s').toBeGreaterThan(2.5);
    expect(b.now_us).toBeGreaterThan(from);
    await untilStatus(o, ['done'], undefined, RUN_MS);
    const s = await state(page);
    expect(s.ahead).toBe(null);
    expect(s.now_us).toBe(12_000_000);
    expect(s.committed).toBeGreaterThan(0);
    expect(cliRun(text).digest).toBe(s.digest);
  }, 240_000);

  it('refuses a bundled bench scenario too large for a page, naming the memory it needs and the command line', async () => {
    const o = await openDefault();
    await o.page.selectOption('#scenario', 'bench/top-100k.yaml');
    await until(o, 'an error in #errors', () => document.querySelectorAll('#errors li').length > 0, undefined);
    const errors = await listItems(o.page, '#errors');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^bench\/top-100k\.yaml: this run needs about [\d.]+ GB of memory, more than the 2\.0 GB it may use here; .*; or run it from the command line: npm run sim -- run <the file>$/);
    // The run loaded before stays.
    expect((await state(o.page)).duration_us).toBe(DEFAULT_DURATION_US);
  }, 120_000);

  it('a bad share URL shows one error line naming its parameter, and Load recovers', async () => {
    // Found in the page (the URL's text), and found by the worker (the scenario refuses the action).
    const cases: [query: string, line: RegExp][] = [
      ['?actions=crash:zz@1', /^URL parameter actions: crash needs a node name like v3, got "zz"/],
      ['?scenario=nope.yaml', /^URL parameter scenario: expected a bundled scenario \(default\.yaml, .*\), got "nope\.yaml"$/],
      ['?scenario=default.yaml&seed=abc', /^URL parameter seed: expected an integer from 0 to 9007199254740991, got "abc"$/],
      ['?actions=Y3Jhc2g6djE%3D', /^URL parameter actions: expected kind\[:target\]@µs like "crash:v3@12000000", got "Y3Jhc2g6djE="$/],
      ['?scenario=default.yaml&seed=42&actions=crash:v99@1000000', /^URL parameter actions: unknown node "v99" .*\(in "crash:v99@1000000"\)$/],
      ['?scenario=default.yaml&seed=42&actions=crash:v1@999000000000', /^URL parameter actions: expected a time in \[0, 60s\), got 999000000000 µs \(in "crash:v1@999000000000"\)$/],
    ];
    for (const [query, line] of cases) {
      const o = await open(query);
      await untilStatus(o, ['error']);
      const errors = await shownErrors(o.page);
      expect(errors, query).toHaveLength(1);
      expect(errors[0], query).toMatch(line);
      expect(await o.page.locator('#errors').isVisible(), `${query}: #errors visible`).toBe(true);
      // What the URL got right is offered for Load.
      if (query.includes('seed=42')) expect(await o.page.inputValue('#seed'), query).toBe('42');
      await recoverWithLoad(o, query);
      if (query.includes('seed=42')) expect(await o.page.inputValue('#seed'), query).toBe('42');
      expect(await listItems(o.page, '#actions'), `${query}: actions after Load`).toEqual([]);
    }
    // Opening a scenario file recovers as well.
    const o = await open('?actions=crash:zz@1');
    await untilStatus(o, ['error']);
    const text = readFileSync(join(REPO, 'scenarios', 'default.yaml'));
    await recoverWithLoad(o, 'a file after a bad URL', () =>
      o.page.setInputFiles('#file', { name: 'mine.yaml', mimeType: 'application/yaml', buffer: text }));
  }, 300_000);

  it('a simulation worker that does not load shows an error, and Load starts a new one', async () => {
    // As after a redeploy, when the page's worker chunk is gone: the worker's script answers 404.
    if (!site) throw new Error('the site was not built');
    const context = await site.browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(LOAD_MS);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack ?? e.message}`));
    cur = { context, page, errors };
    const worker = /\/assets\/sim\.worker-[^/]*\.js$/;
    let refused = 0;
    await page.route(worker, (route) => {
      refused++;
      return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
    });
    await page.goto(site.url + '?scenario=default.yaml', { waitUntil: 'load' });
    await untilStatus(cur, ['error']);
    expect(refused).toBe(1);
    const shown = await shownErrors(page);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(/^default\.yaml: the simulation worker failed: /);
    await page.unroute(worker);
    await recoverWithLoad(cur, 'a new worker');
    // The browser may log the 404 itself; no other error.
    cur = undefined;
    await context.close();
    expect(errors.filter((e) => !/^console: .*\b404\b/.test(e)), 'console errors and page errors').toEqual([]);
  }, 240_000);

  it('a 10 MB garbage file does not freeze the page and gives an error; nor does a smaller one it parses', async () => {
    // 10 MB: past the page's size limit. Just under 1 MB: read and parsed (in the worker).
    for (const bytes of [10 * 2 ** 20, 1_000_000]) {
      const o = await openDefault();
      const page = o.page;
      const started = Date.now();
      await page.setInputFiles('#file', { name: 'garbage.yaml', mimeType: 'application/yaml', buffer: garbage(bytes) });
      // The page must answer all along, until the error shows.
      let slowest = 0;
      for (;;) {
        const t0 = Date.now();
        const n = await Promise.race([
          page.evaluate(() => document.querySelectorAll('#errors li').length),
          new Promise<never>((_, no) => setTimeout(() => no(new Error(`${bytes} B: the page did not answer within 5 s`)), 5_000)),
        ]);
        slowest = Math.max(slowest, Date.now() - t0);
        if (n > 0) break;
        if (Date.now() - started > RUN_MS) throw new Error(`${bytes} B: no error after ${RUN_MS} ms; the page: ${await describePage(o)}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
      expect(slowest, `${bytes} B: slowest answer (ms)`).toBeLessThan(5_000);
      const errors = await listItems(page, '#errors');
      expect(errors.join('').trim().length, `${bytes} B: errors`).toBeGreaterThan(0);
      // Still usable: the scenario loaded before is still there.
      expect((await state(page)).duration_us).toBe(DEFAULT_DURATION_US);
    }
  }, 240_000);
});
