/**
 * `npm run bench:web`: the visualizer's frame rate (not a test; figures depend on the machine).
 *
 * Builds the site into a temporary directory, serves it, opens `?scenario=<name>&seed=<n>` in
 * headless Chromium, presses play at the chosen speed and samples `window.topsim.state()` once a
 * second: `fps` (the page's own rate of requestAnimationFrame callbacks) and `now_us`. Prints frames
 * per second (mean, min, p10 over the samples after a 3 s warm-up), simulated seconds per wall
 * second and the node count, and as a check the rAF callbacks counted from outside the page's code
 * over 2 s at the end (while the run goes on).
 *
 * Options: --scenario viz-1k.yaml (a bundled scenario), --seconds 20 (wall time of the sampling),
 * --speed 1 (0.5, 1, 5, 20, 100 or max), --seed N (default: the scenario's), --workers 1 (the
 * simulation's workers; above 1 the site is served cross-origin isolated, as several need), --json
 * (one JSON object on stdout).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadScenario } from '../scenario/index.js';
import { REPO, startSite, type Site } from './browser/site.js';

const SPEEDS = ['0.5', '1', '5', '20', '100', 'max'];
const WARMUP_S = 3;
const CHECK_MS = 2000;
const USAGE = 'usage: npm run bench:web -- [--scenario viz-1k.yaml] [--seconds 20] [--speed 1] [--seed N] [--workers 1] [--json]';
const WORKERS_MAX = 8;

interface Options {
  scenario: string;
  seconds: number;
  speed: string;
  seed: number | null;
  workers: number;
  json: boolean;
}

function usageError(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { scenario: 'viz-1k.yaml', seconds: 20, speed: '1', seed: null, workers: 1, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (a === '--json') {
      o.json = true;
      continue;
    }
    const m = a.match(/^--(scenario|seconds|speed|seed|workers)(?:=(.*))?$/);
    if (!m) usageError(`unknown argument ${a} (${USAGE.replace('usage: ', '')})`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) usageError(`--${m[1]} needs a value`);
    switch (m[1]) {
      case 'scenario':
        if (!/^[\w.-]+\.(ya?ml|json)$/.test(v)) usageError(`--scenario: expected a scenario file name like viz-1k.yaml, got "${v}"`);
        o.scenario = v;
        break;
      case 'seconds':
        o.seconds = Number(v);
        if (!/^\d+(\.\d+)?$/.test(v) || !(o.seconds > WARMUP_S + 1) || o.seconds > 3600) {
          usageError(`--seconds: expected a number of seconds from ${WARMUP_S + 1} to 3600, got "${v}"`);
        }
        break;
      case 'speed':
        if (!SPEEDS.includes(v)) usageError(`--speed: expected one of ${SPEEDS.join(', ')}, got "${v}"`);
        o.speed = v;
        break;
      case 'workers':
        o.workers = Number(v);
        if (!/^\d+$/.test(v) || o.workers < 1 || o.workers > WORKERS_MAX) usageError(`--workers: expected an integer from 1 to ${WORKERS_MAX}, got "${v}"`);
        break;
      case 'seed':
        if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) usageError(`--seed: expected a non-negative integer, got "${v}"`);
        o.seed = Number(v);
        break;
    }
  }
  if (!existsSync(join(REPO, 'scenarios', o.scenario))) usageError(`--scenario: no scenarios/${o.scenario}`);
  return o;
}

interface Sample {
  t_s: number;
  workers: number;
  fps: number;
  now_us: number;
  status: string;
  nodes: number;
}

/** The figures of one state() call; a string so that nothing the runner adds to functions reaches the page. */
const SAMPLE = `(() => {
  const s = window.topsim.state();
  return { fps: s.fps, now_us: s.now_us, status: s.status, workers: s.workers,
    nodes: Array.isArray(s.nodes) ? s.nodes.length : typeof s.nodes === 'number' ? s.nodes : NaN };
})()`;
/** Counts requestAnimationFrame callbacks over CHECK_MS: frames per second between the first and the last. */
const RAF_CHECK = `new Promise((done) => {
  let first = -1, n = 0;
  const tick = (t) => {
    if (first < 0) first = t;
    else n++;
    if (t - first < ${CHECK_MS}) requestAnimationFrame(tick);
    else done(n / ((t - first) / 1000));
  };
  requestAnimationFrame(tick);
})`;
const STATUS = `document.getElementById('status')?.dataset.state ?? ''`;
const ERRORS = `[...document.querySelectorAll('#errors li')].map((li) => li.textContent)`;

function round(x: number, d = 1): number {
  return Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  const seed = o.seed ?? loadScenario(join(REPO, 'scenarios', o.scenario)).seed;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log('building the site...');
  let site: Site | undefined;
  try {
    site = await startSite({ isolated: o.workers > 1 });
    const page = await site.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const query = `?scenario=${encodeURIComponent(o.scenario)}&seed=${seed}${o.workers > 1 ? `&workers=${o.workers}` : ''}`;
    log(`opening ${query}...`);
    await page.goto(site.url + query);
    await page.waitForFunction(`['ready', 'error'].includes(${STATUS})`, undefined, { timeout: 300_000, polling: 250 });
    if ((await page.evaluate(STATUS)) === 'error') {
      log(`error: the page could not load ${o.scenario}: ${(await page.evaluate<string[]>(ERRORS)).join('; ')}`);
      return 1;
    }
    const bundled = await page.locator('#scenario option').evaluateAll((os) => os.map((x) => (x as HTMLOptionElement).value));
    if (!bundled.includes(o.scenario)) {
      log(`error: --scenario: ${o.scenario} is not bundled in the page (${bundled.join(', ')})`);
      return 2;
    }
    await page.selectOption('#speed', o.speed);
    await page.click('#play');
    log(`playing at speed ${o.speed} for ${o.seconds} s...`);
    const samples: Sample[] = [];
    const t0 = performance.now();
    for (let k = 1; k <= Math.floor(o.seconds); k++) {
      const wait = t0 + k * 1000 - performance.now();
      if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
      const s = await page.evaluate<Omit<Sample, 't_s'>>(SAMPLE);
      samples.push({ t_s: (performance.now() - t0) / 1000, ...s });
      if (s.status === 'done' || s.status === 'error') break;
    }
    const rafCheck = await page.evaluate<number>(RAF_CHECK);
    const last = samples[samples.length - 1];
    const warm = samples.filter((s) => s.t_s >= WARMUP_S);
    if (warm.length < 2) {
      log(`error: the run ended (status ${last?.status}) before ${WARMUP_S + 1} s of wall time; nothing to measure`);
      return 1;
    }
    const fps = warm.map((s) => s.fps).sort((a, b) => a - b);
    const mean = fps.reduce((a, b) => a + b, 0) / fps.length;
    const p10 = fps[Math.max(0, Math.ceil(0.1 * fps.length) - 1)];
    const first = warm[0];
    const end = warm[warm.length - 1];
    const simPerWall = (end.now_us - first.now_us) / 1e6 / (end.t_s - first.t_s);
    const result = {
      scenario: o.scenario,
      seed,
      speed: o.speed,
      workers: last.workers,
      seconds: round(last.t_s, 2),
      nodes: last.nodes,
      samples: warm.length,
      fps: { mean: round(mean), min: round(fps[0]), p10: round(p10) },
      raf_check_fps: round(rafCheck),
      sim_s_per_wall_s: round(simPerWall, 3),
      sim_now_s: round(last.now_us / 1e6, 3),
      status: last.status,
      chromium: site.browser.version(),
      page_errors: pageErrors,
    };
    if (o.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const w = (label: string, value: string) => process.stdout.write(`${label.padEnd(48)}${value}\n`);
      w('scenario', `${o.scenario}  seed ${seed}  speed ${o.speed}  nodes ${result.nodes}  workers ${result.workers}`);
      w(`frames per second (page, ${warm.length} samples after ${WARMUP_S} s)`,
        `mean ${result.fps.mean}  min ${result.fps.min}  p10 ${result.fps.p10}`);
      w(`frames per second (rAF count over ${CHECK_MS / 1000} s)`, `${result.raf_check_fps}`);
      w('simulated seconds per wall second', `${result.sim_s_per_wall_s}`);
      w('simulated time reached', `${result.sim_now_s} s (${result.status})`);
      w('browser', `Chromium ${result.chromium}, headless`);
    }
    for (const e of pageErrors) log(`page error: ${e}`);
    return 0;
  } finally {
    await site?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    process.exit(1);
  },
);
