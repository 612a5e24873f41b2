/**
 * The page: loading scenarios, run control, the frame loop, viewer actions, export and share.
 * The run itself lives in the worker (sim.worker.ts); the page pulls one frame per animation frame.
 */
import * as Comlink from 'comlink';
import type { WorkerApi, Opened, Problem } from './sim.worker.js';
import type { Frame, Inspection, SessionMeta } from './session.js';
import type { BlockDetail } from '../sim/contract/module.js';
import { actionTime, describeAction, encodeActions, parseSeed, readShareUrl, shareIssue, SEED_EXPECTED, WORKERS_MAX, type Action } from './actions.js';
import { BUNDLED, describe } from './scenarios.js';
import { NetworkView, ROLE_COLOR, KIND_COLOR, MESSAGE_FILTERS, type GroupBy } from './views/network.js';
import { TablesView, CLASS_FILL } from './views/tables.js';
import { FAMILY_PANELS, type FamilyPanel } from './families/index.js';
import { ChartsView } from './views/charts.js';
import { escapeHtml as esc } from '../sim/report/escape.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** Simulated time one press of "step" advances. */
const STEP_US = 100_000;
/**
 * Wall time the worker may spend per frame request (ms). A run that cannot keep its speed asks for
 * the next frame as soon as one arrives (the worker runs while the page draws), so the worker is
 * idle only while a frame crosses between the threads; at `max` each request runs longer, since
 * the page draws the messages in flight between frames anyway.
 */
const BUDGET_MS = 12;
const MAX_BUDGET_MS = 30;
const SEEK_BUDGET_MS = 40;
/** Scenario files larger than this are refused without reading them. */
const FILE_BYTES_MAX = 1 << 20;
/**
 * Running ahead (a run too slow for its speed, computed first and replayed): frames computed but
 * not yet replayed are held up to this many bytes (a tab holds a few hundred MB comfortably);
 * each is asked for at the chosen speed's simulated time per 1/30 s of replay, and a request may
 * run this long.
 */
const AHEAD_BYTES_MAX = 256 * 2 ** 20;
const AHEAD_FPS = 30;
const AHEAD_BUDGET_MS = 40;

/**
 * A run computed ahead of what the page shows, and replayed at the chosen speed once the replay
 * can run to the end without waiting (as a video buffers): `frames` computed and not yet shown.
 */
interface Ahead {
  frames: Frame[];
  bytes: number;
  /** Simulated time the worker has computed to; whether it reached the end. */
  computed_us: number;
  done: boolean;
  /** When the run-ahead began (wall ms, simulated µs), for its computing rate. */
  since: [number, number];
  replaying: boolean;
  /** The replay's position (simulated µs) and the wall time it was last moved. */
  clock_us: number;
  lastTs: number;
}

type Mode = 'idle' | 'paused' | 'running' | 'done' | 'error';
type Source = { kind: 'bundled'; name: string; text: string } | { kind: 'file'; name: string; text: string };

// ---------------------------------------------------------------------------------------------
// The worker

interface WorkerHost {
  worker: Worker;
  api: Comlink.Remote<WorkerApi>;
  /** Rejects when the worker fails outside a call (its script did not load, an uncaught error). */
  lost: Promise<never>;
}

let host: WorkerHost | null = null;

function spawnWorker(): WorkerHost {
  const worker = new Worker(new URL('./sim.worker.ts', import.meta.url), { type: 'module' });
  let lose!: (e: Error) => void;
  const lost = new Promise<never>((_, no) => { lose = no; });
  lost.catch(() => {}); // observed through call() and workerLost()
  const h: WorkerHost = { worker, api: Comlink.wrap<WorkerApi>(worker), lost };
  const onLost = (e: Error) => {
    lose(e);
    workerLost(h, e);
  };
  worker.addEventListener('error', (e) => {
    e.preventDefault();
    const why = e instanceof ErrorEvent && e.message ? e.message : 'its script did not load';
    onLost(new Error(`the simulation worker failed: ${why}`));
  });
  worker.addEventListener('messageerror', () => onLost(new Error('the simulation worker sent a message the page could not read')));
  return h;
}

/**
 * Calls the worker (started on first use). Comlink carries an error thrown in the call back as a
 * rejection; a worker that fails outside any call (its script did not load, say) never answers, so
 * the call also rejects when the worker is lost.
 */
function call<T>(f: (api: Comlink.Remote<WorkerApi>) => Promise<T>): Promise<T> {
  let h: WorkerHost;
  try {
    h = host ??= spawnWorker();
  } catch (e) {
    return Promise.reject(e);
  }
  return Promise.race([f(h.api), h.lost]);
}

/** A failed worker is dropped with its run; the next load starts a new one. */
function workerLost(h: WorkerHost, e: Error): void {
  if (host !== h) return;
  host = null;
  h.worker.terminate();
  st.gen++;
  st.meta = null;
  st.inflight = 0;
  st.behind = false;
  st.inspecting = false;
  fail(e);
}

const network = new NetworkView($('network-host'), (i) => select(i));
const tables = new TablesView($('tables-host'), (chain, height) => void showBlock(chain, height));

/** The block panel: what a committed block holds (the family's ViewAdapter.blockDetail). */
async function showBlock(chain: number, height: number): Promise<void> {
  const el = $('block-panel');
  let d: BlockDetail | null;
  try {
    d = await call((api) => api.blockDetail(chain, height));
  } catch {
    d = null;
  }
  const close = '<button type="button" class="close" aria-label="close">×</button>';
  if (d === null) {
    el.innerHTML = `${close}<p class="note">Block ${height} of chain ${chain}: no node holds it any more (each keeps its newest committed blocks).</p>`;
  } else {
    el.innerHTML = `${close}<h3>${esc(d.title)}</h3><table>${d.facts.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>` +
      d.tables.map((t) => `<table class="detail"><caption>${esc(t.caption)}</caption><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>` +
        t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('') + '</table>').join('');
  }
  el.hidden = false;
  el.querySelector('button.close')?.addEventListener('click', () => { el.hidden = true; });
}
/** The family's own panel in place of the tables view (web/families/), and its family. */
let panel: FamilyPanel | null = null;
let panelFamily = '';

/** Shows the family's panel, or the generic tables view for a family without one. */
function choosePanel(family: string): void {
  const make = FAMILY_PANELS[family];
  if (make === undefined) panel = null;
  else if (panel === null || panelFamily !== family) {
    $('family-host').replaceChildren();
    panel = make($('family-host'));
  }
  panelFamily = family;
  // The introduction explains the family on screen.
  for (const el of document.querySelectorAll<HTMLElement>('#about [data-family]')) el.hidden = el.dataset.family !== family;
  $('family-host').hidden = panel === null;
  $('tables-host').hidden = panel !== null;
  $('tables-legend').hidden = panel !== null;
  $('tables-title').textContent = panel?.title ?? 'Tables';
}
const charts = new ChartsView($('charts-host'));

const st = {
  meta: null as SessionMeta | null,
  source: null as Source | null,
  seed: 0,
  actions: [] as Action[],
  mode: 'idle' as Mode,
  /** Where a re-run, a scrub or a step is heading, and what to do on arrival. */
  seek: null as { to_us: number; then: 'paused' | 'running'; label: string } | null,
  now_us: 0,
  duration_us: 0,
  events: 0,
  digest: null as string | null,
  committed: 0,
  tps: 0,
  /** Frame requests out to the worker: one, or two while the run is behind its target. */
  inflight: 0,
  behind: false,
  /** Bumped whenever the worker's run is replaced: frames of an older run are dropped. */
  gen: 0,
  simTarget: 0,
  lastTs: 0,
  selected: -1,
  frame: null as Frame | null,
  fps: 0,
  frameTimes: [] as number[],
  /** (wall ms, simulated µs) at each frame while running at a set speed, over the last few seconds. */
  paceSamples: [] as [number, number][],
  lastCharts: 0,
  lastInspect: 0,
  inspecting: false,
  /** A load or re-run is under way: no frame requests until it answers. */
  pending: false,
  /** Workers asked for, and those running the run (fewer when the page or the family cannot use them). */
  workers: 1,
  workersRun: 1,
  ahead: null as Ahead | null,
};

// ---------------------------------------------------------------------------------------------
// Status and errors

function setStatus(state: string, text = state): void {
  const el = $('status');
  el.dataset.state = state;
  el.textContent = text;
}

function showProblems(problems: Problem[]): void {
  const ul = $('errors');
  ul.replaceChildren(...problems.map((p) => {
    const li = document.createElement('li');
    li.textContent = `${p.path}: ${p.message}`;
    return li;
  }));
  ul.hidden = problems.length === 0;
}

function fmtS(us: number): string {
  return `${(us / 1e6).toFixed(us < 10e6 ? 2 : 1)} s`;
}

// ---------------------------------------------------------------------------------------------
// Loading

function fillScenarioPicker(): void {
  const sel = $<HTMLSelectElement>('scenario');
  for (const [name, text] of BUNDLED) {
    const o = document.createElement('option');
    o.value = name;
    o.textContent = name.replace(/\.yaml$/, '');
    o.title = describe(text);
    sel.appendChild(o);
  }
}

/**
 * Loads a scenario into the worker. Whatever goes wrong (the scenario, the seed, the actions, the
 * worker itself) ends as error lines and a status other than `loading`; `word` rewords the
 * worker's problems (for a share URL, as URL parameters).
 */
async function load(source: Source, seed: number | null, actions: Action[], word = (p: Problem) => p): Promise<boolean> {
  const before = st.mode;
  setStatus('loading', 'loading');
  st.pending = true;
  let r: Opened;
  try {
    r = await call<Opened>((api) => api.open(source.text, source.name, seed, actions, st.workers));
  } catch (e) {
    r = { ok: false, problems: [{ path: source.name, message: e instanceof Error ? e.message : String(e) }] };
  } finally {
    st.pending = false;
  }
  if (!r.ok) {
    // The worker keeps the run it had (if any); the page goes on showing it, paused.
    showProblems(r.problems.map(word));
    st.mode = !st.meta ? 'error' : before === 'running' ? 'paused' : before;
    setStatus(st.mode === 'idle' || (st.mode === 'paused' && st.now_us === 0) ? 'ready' : st.mode);
    return false;
  }
  st.gen++;
  st.seek = null;
  showProblems([]);
  st.source = source;
  st.seed = r.seed;
  st.actions = actions;
  showWorkers(r);
  $<HTMLInputElement>('seed').value = String(r.seed);
  if (source.kind === 'bundled') $<HTMLSelectElement>('scenario').value = source.name;
  adopt(r.meta);
  st.mode = 'paused';
  setStatus('ready', 'ready');
  renderActions();
  return true;
}

/** A new run (a load, or a re-run with other actions) starts at time 0. */
function adopt(meta: SessionMeta): void {
  const fresh = st.meta !== meta;
  st.ahead = null;
  st.meta = meta;
  st.now_us = 0;
  st.simTarget = 0;
  st.duration_us = meta.duration_us;
  st.events = 0;
  st.digest = null;
  st.committed = 0;
  st.tps = 0;
  st.frame = null;
  network.setMeta(meta, $<HTMLSelectElement>('group-by').value as GroupBy);
  tables.setMeta(meta);
  $('block-panel').hidden = true;
  choosePanel(meta.family);
  charts.setMeta(meta);
  const tl = $<HTMLInputElement>('timeline');
  tl.max = String(Math.floor(meta.duration_us / 1000));
  tl.value = '0';
  if (fresh) {
    const nodeSel = $<HTMLSelectElement>('node');
    const keep = st.selected >= 0 && st.selected < meta.nodes.length ? st.selected : 0;
    nodeSel.replaceChildren(...meta.nodes.map((n, i) => new Option(`${n.name} (${n.role}, ${n.group})`, String(i))));
    for (const id of ['part-a', 'part-b']) {
      $<HTMLSelectElement>(id).replaceChildren(...meta.partitionSides.map((s) => new Option(s, s)));
    }
    if (meta.partitionSides.length > 1) $<HTMLSelectElement>('part-b').value = meta.partitionSides[1];
    select(keep);
  }
  renderStats();
}

async function loadBundled(name: string, seed: number | null, actions: Action[] = [], word?: (p: Problem) => Problem): Promise<boolean> {
  const text = BUNDLED.get(name);
  if (text === undefined) {
    showProblems([{ path: 'scenario', message: `expected one of ${[...BUNDLED.keys()].join(', ')}, got "${name}"` }]);
    setStatus('error', 'error');
    return false;
  }
  return load({ kind: 'bundled', name, text }, seed, actions, word);
}

function seedInput(): number | null {
  const raw = $<HTMLInputElement>('seed').value.trim();
  if (raw === '') return null;
  const v = parseSeed(raw);
  if (v === null) {
    showProblems([{ path: 'seed', message: `${SEED_EXPECTED}, got "${raw}"` }]);
    return NaN;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Running

function play(): void {
  if (!st.meta || st.mode === 'error') return;
  if (st.mode === 'done') return;
  if (st.seek) {
    st.seek.then = 'running';
    return;
  }
  st.mode = 'running';
  st.simTarget = st.now_us;
  setStatus('running');
}

function pause(): void {
  if (st.seek) st.seek.then = 'paused';
  if (st.mode === 'running') {
    st.mode = 'paused';
    setStatus('paused');
  }
}

function step(): void {
  if (!st.meta || st.mode === 'done' || st.mode === 'error' || st.seek) return;
  if (st.ahead) {
    void scrub(Math.min(st.duration_us, st.now_us + STEP_US));
    return;
  }
  st.mode = 'paused';
  st.seek = { to_us: Math.min(st.duration_us, st.now_us + STEP_US), then: 'paused', label: 'stepping' };
}

function speed(): number | 'max' {
  const v = $<HTMLSelectElement>('speed').value;
  return v === 'max' ? 'max' : Number(v);
}

/** The bytes a frame holds (its typed arrays), for the run-ahead's bound. */
function frameBytes(f: Frame): number {
  let n = 1024;
  for (const v of Object.values(f)) if (ArrayBuffer.isView(v)) n += v.byteLength;
  for (const l of f.latency) n += l.byteLength;
  return n;
}

/** Asks the worker for the next frame ahead of the replay, while there is room for it. */
function requestAhead(a: Ahead): void {
  if (a.done || a.bytes >= AHEAD_BYTES_MAX || st.inflight >= 2) return;
  const s = speed();
  const step = (typeof s === 'number' ? s : 1) * (1e6 / AHEAD_FPS);
  const target = Math.min(st.duration_us, a.computed_us + step);
  st.inflight++;
  const gen = st.gen;
  call((api) => api.frame(target, AHEAD_BUDGET_MS, st.selected)).then((f) => {
    st.inflight--;
    if (gen !== st.gen) return;
    if (st.ahead !== a) {
      applyFrame(f, performance.now()); // the run-ahead ended while this frame was computed
      return;
    }
    a.frames.push(f);
    a.bytes += frameBytes(f);
    a.computed_us = f.now_us;
    a.done = f.done;
    requestAhead(a);
  }, (e: unknown) => {
    st.inflight--;
    if (gen === st.gen) fail(e);
  });
}

/** Starts running ahead: the worker computes on, and the page replays once it can keep the speed to the end. */
function runAhead(): void {
  if (!st.meta || st.mode !== 'running' || st.seek || st.ahead || speed() === 'max') return;
  const now = performance.now();
  st.ahead = { frames: [], bytes: 0, computed_us: st.now_us, done: false, since: [now, st.now_us], replaying: false, clock_us: st.now_us, lastTs: now };
  requestAhead(st.ahead);
  renderPace();
}

/**
 * Moves the replay on: starts it once what is computed lets it run to the end at the chosen speed
 * without waiting (from the computing rate so far), then shows every computed frame up to the
 * replay's clock. The replay waits at the computed end if it catches up, and ends with the run.
 */
function replay(a: Ahead, ts: number): void {
  const s = speed();
  if (s === 'max') {
    // As fast as possible: what was computed shows at once, and the live run goes on from there.
    showAhead(a, Infinity);
    st.ahead = null;
    return;
  }
  const dt = Math.min(100, Math.max(0, ts - a.lastTs));
  a.lastTs = ts;
  requestAhead(a);
  if (!a.replaying) {
    const rate = (a.computed_us - a.since[1]) / Math.max(1, ts - a.since[0]); // simulated µs per wall ms
    const want = typeof s === 'number' ? s * 1000 : Infinity;
    const left = st.duration_us - a.clock_us;
    const needed = a.done ? 0 : left * Math.max(0, 1 - rate / want);
    a.replaying = a.done || a.bytes >= AHEAD_BYTES_MAX || a.computed_us - a.clock_us >= needed;
    if (!a.replaying) return;
  }
  if (st.mode === 'running' && typeof s === 'number') a.clock_us = Math.min(a.computed_us, a.clock_us + dt * 1000 * s);
  showAhead(a, a.clock_us);
  requestAhead(a);
  if (a.done && a.frames.length === 0) st.ahead = null; // the last frame shown ended the run
}

/** Shows the computed frames up to `to_us`, in order. */
function showAhead(a: Ahead, to_us: number): void {
  while (a.frames.length > 0 && a.frames[0].now_us <= to_us) {
    const f = a.frames.shift()!;
    a.bytes -= frameBytes(f);
    applyFrame(f, performance.now());
  }
}

function request(ts: number): void {
  if (st.ahead && !st.seek) {
    replay(st.ahead, ts);
    if (st.ahead) return;
  }
  if (!st.meta || st.pending || st.inflight >= (st.behind ? 2 : 1)) return;
  let target: number;
  let budget = BUDGET_MS;
  if (st.seek) {
    target = st.seek.to_us;
    budget = SEEK_BUDGET_MS;
  } else if (st.mode === 'running') {
    const s = speed();
    // Wall time since the last request (while a request is out, it accumulates).
    const dt = Math.min(100, Math.max(0, ts - st.lastTs));
    st.lastTs = ts;
    if (s === 'max') {
      target = st.duration_us;
      budget = MAX_BUDGET_MS;
    } else {
      // Simulated time follows wall time at the chosen speed; a run that cannot keep up lags.
      st.simTarget = Math.min(Math.max(st.simTarget, st.now_us) + dt * 1000 * s, st.now_us + 250_000 * s);
      target = st.simTarget;
    }
  } else return;
  st.inflight++;
  const gen = st.gen;
  call((api) => api.frame(target, budget, st.selected)).then((f) => {
    st.inflight--;
    if (gen !== st.gen) return;
    // Behind the target: keep a second request queued in the worker, so that it runs on while
    // the page draws this frame.
    st.behind = f.now_us < target;
    if (st.behind) {
      st.now_us = f.now_us;
      request(performance.now());
    }
    applyFrame(f, performance.now());
  }, (e: unknown) => {
    st.inflight--;
    if (gen === st.gen) fail(e);
  });
}

/** The speed the run keeps, in simulated seconds per wall second, over the last few seconds. */
export function keptSpeed(samples: readonly [number, number][]): number | null {
  if (samples.length < 2) return null;
  const [w0, t0] = samples[0];
  const [w1, t1] = samples[samples.length - 1];
  return w1 - w0 < 2000 ? null : (t1 - t0) / 1000 / (w1 - w0);
}

/** Says when the run cannot keep the chosen speed ("running at 0.21× of real time"). */
function renderPace(): void {
  const el = $('pace');
  const button = $('run-ahead');
  const a = st.ahead;
  if (a) {
    el.hidden = false;
    button.hidden = true;
    const computed = `computed to ${fmtS(a.computed_us)} of ${fmtS(st.duration_us)}`;
    el.textContent = a.replaying
      ? `replaying at ${speed()}× what was computed ahead (${computed}${a.clock_us >= a.computed_us && !a.done ? '; waiting for it' : ''})`
      : `computing ahead (${computed}); the replay at ${speed()}× starts when it can run to the end without waiting`;
    return;
  }
  const s = speed();
  const kept = keptSpeed(st.paceSamples);
  const behind = st.mode === 'running' && !st.seek && s !== 'max' && kept !== null && kept < 0.8 * s;
  el.hidden = !behind;
  button.hidden = !behind;
  if (behind) {
    el.textContent = `running at ${kept! < 0.1 ? kept!.toFixed(3) : kept!.toFixed(2)}× of real time, not the ${s}× chosen: ` +
      'this machine cannot simulate the run faster (a smaller scenario, or compute it ahead and replay it at this speed)';
  }
}

function applyFrame(f: Frame, wallNow: number): void {
  st.frame = f;
  if (st.mode === 'running' && !st.seek && speed() !== 'max') {
    st.paceSamples.push([wallNow, f.now_us]);
    while (st.paceSamples.length > 2 && wallNow - st.paceSamples[0][0] > 4000) st.paceSamples.shift();
  } else st.paceSamples = [];
  st.now_us = f.now_us;
  st.events = f.events;
  st.committed = f.blocksCommitted;
  st.digest = f.digest;
  const s1 = Math.floor(f.now_us / 1e6);
  const s0 = Math.max(0, s1 - 10);
  let sum = 0;
  for (let s = s0; s < s1; s++) sum += f.finalPerSecond[s] ?? 0;
  st.tps = s1 > s0 ? sum / (s1 - s0) : 0;
  network.update(f, wallNow);
  if (panel !== null && f.story !== null) {
    panel.update(f.story);
    panel.draw();
  } else {
    tables.update(f);
    tables.draw();
  }
  charts.update(f);
  if (st.seek && f.now_us >= st.seek.to_us) {
    const then = st.seek.then;
    st.seek = null;
    st.mode = then;
    st.simTarget = f.now_us;
    setStatus(then === 'running' ? 'running' : 'paused');
  }
  if (f.done) {
    st.seek = null;
    st.mode = 'done';
    setStatus('done');
  } else if (st.seek) setStatus('running', `${st.seek.label} to ${fmtS(st.seek.to_us)}`);
  renderStats();
}

function renderStats(): void {
  $('stat-committed').textContent = String(st.committed);
  $('stat-tps').textContent = st.tps.toFixed(1);
  $('stat-events').textContent = st.events.toLocaleString('en-US');
  $('stat-digest').textContent = st.digest ?? '—';
  $('time').textContent = `${fmtS(st.now_us)} / ${fmtS(st.duration_us)}`;
  const tl = $<HTMLInputElement>('timeline');
  if (document.activeElement !== tl) tl.value = String(Math.floor(st.now_us / 1000));
}

function fail(e: unknown): void {
  st.mode = 'error';
  st.seek = null;
  showProblems([{ path: 'run', message: e instanceof Error ? e.message : String(e) }]);
  setStatus('error', 'error');
}

/** The workers running the run, and why fewer than asked when they are. */
function showWorkers(r: { workers: number; note: string | null }): void {
  st.workersRun = r.workers;
  const note = $('workers-note');
  note.hidden = r.note === null;
  note.textContent = r.note ?? '';
}

/** The workers picker: up to the cores the browser reports; only on a cross-origin isolated page (SharedArrayBuffer). */
function fillWorkers(): void {
  const sel = $<HTMLSelectElement>('workers');
  const most = Math.min(WORKERS_MAX, Math.max(2, navigator.hardwareConcurrency || 2));
  sel.replaceChildren(...Array.from({ length: most }, (_, k) => new Option(String(k + 1), String(k + 1))));
  sel.value = String(Math.min(st.workers, most));
  if (!crossOriginIsolated) {
    sel.disabled = true;
    sel.title = 'several workers need a cross-origin isolated page: served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp (web/README.md "Several workers")';
  }
}

/** Replaces the worker's run with one that has these actions and runs it to `to_us` (on `workers` workers, if given). */
async function rerun(actions: Action[], to_us: number, label: string, workers?: number): Promise<boolean> {
  const then: 'paused' | 'running' = st.mode === 'running' || st.seek?.then === 'running' ? 'running' : 'paused';
  st.pending = true;
  let r: Opened;
  try {
    r = await call<Opened>((api) => api.restart(actions, workers));
  } catch (e) {
    fail(e);
    return false;
  } finally {
    st.pending = false;
  }
  if (!r.ok) {
    // The worker kept the run it had; the page goes on with it.
    showProblems(r.problems);
    return false;
  }
  st.gen++;
  showProblems([]);
  st.actions = actions;
  showWorkers(r);
  adopt(r.meta);
  st.mode = 'paused';
  st.seek = { to_us, then, label };
  setStatus('running', `${label} to ${fmtS(to_us)}`);
  renderActions();
  return true;
}

async function scrub(to_us: number): Promise<void> {
  if (!st.meta || st.mode === 'error') return;
  const a = st.ahead;
  if (a && to_us >= st.now_us) {
    // Forward through what was computed ahead: show it up to there; past it, the live run seeks on.
    st.mode = st.mode === 'done' ? 'done' : 'paused';
    if (st.mode === 'paused') setStatus('paused');
    a.replaying = true;
    a.clock_us = Math.min(to_us, a.computed_us);
    showAhead(a, a.clock_us);
    if (to_us <= a.computed_us || a.done) return;
    showAhead(a, Infinity);
    st.ahead = null;
  }
  if (to_us < st.now_us) {
    await rerun(st.actions, to_us, 're-running');
    if (st.seek) st.seek.then = 'paused';
  } else if (to_us > st.now_us) {
    if (st.mode === 'done') return;
    st.mode = 'paused';
    st.seek = { to_us, then: 'paused', label: 'seeking' };
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

async function act(make: (at_us: number) => Action | null): Promise<void> {
  if (!st.meta || st.mode === 'error') return;
  const at = actionTime(st.seek ? st.seek.to_us : st.now_us);
  if (at >= st.duration_us) {
    showProblems([{ path: 'actions', message: `the run has ended at ${fmtS(st.duration_us)}; scrub back to act` }]);
    return;
  }
  const a = make(at);
  if (!a) return;
  const list = [...st.actions, a].sort((x, y) => x.at_us - y.at_us);
  // Run just past the action's time, so the page shows its effect (events at `at` are handled).
  await rerun(list, at + 1, 're-running');
}

/** Frame.flags bit of a node that is up (session.ts NODE_ALIVE; not imported, so the page's bundle stays free of the simulator). */
const NODE_ALIVE = 1;

/** Whether the inspected node is up in the newest frame (null: no frame yet). */
function selectedAlive(): boolean | null {
  if (!st.frame || st.selected < 0) return null;
  return (st.frame.flags[st.selected] & NODE_ALIVE) !== 0;
}

function selectedName(): string | null {
  return st.meta && st.selected >= 0 ? st.meta.nodes[st.selected].name : null;
}

function renderActions(): void {
  const ol = $('actions');
  ol.replaceChildren(...st.actions.map((a, i) => {
    const li = document.createElement('li');
    li.textContent = describeAction(a);
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.textContent = '×';
    rm.title = 'remove this action (the run is re-run)';
    rm.addEventListener('click', () => {
      const list = st.actions.filter((_, k) => k !== i);
      void rerun(list, st.now_us, 're-running');
    });
    li.appendChild(rm);
    return li;
  }));
}

function shareUrl(): string {
  const u = new URL(window.location.href);
  u.search = '';
  u.hash = '';
  if (st.source?.kind === 'bundled') u.searchParams.set('scenario', st.source.name);
  u.searchParams.set('seed', String(st.seed));
  if (st.actions.length > 0) u.searchParams.set('actions', encodeActions(st.actions));
  if (st.workers > 1) u.searchParams.set('workers', String(st.workers));
  return u.toString();
}

async function exportScenario(): Promise<void> {
  if (!st.meta) return;
  let text: string;
  try {
    text = await call((api) => api.exportText());
  } catch (e) {
    showProblems([{ path: 'export', message: e instanceof Error ? e.message : String(e) }]);
    return;
  }
  const blob = new Blob([text], { type: 'application/yaml' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${st.meta.name}-seed${st.seed}.yaml`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

// ---------------------------------------------------------------------------------------------
// Inspector

function select(i: number): void {
  st.selected = i;
  network.selected = i;
  $<HTMLSelectElement>('node').value = String(i);
  st.lastInspect = 0;
}

function row(label: string, value: string): string {
  return `<tr><th>${label}</th><td>${value}</td></tr>`;
}

function renderInspection(x: Inspection): void {
  const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
  const bw = (bps: number) => `${bps / 1e6} Mb/s`;
  const state = `${x.alive ? 'up' : '<b>crashed</b>'}${x.byzantine ? ', <b>byzantine</b>' : ''}${x.leads.length ? `, leads ${esc(x.leads.join(' '))}` : ''}`;
  let html = `<table>${row('node', `<b>${esc(x.name)}</b> (${x.role})`)}${row('state', state)}${row('group', esc(x.group))}${row('region', esc(x.region))}`
    + x.facts.map(([label, text]) => row(esc(label), esc(text))).join('')
    + `${row('hardware', `${x.cores} cores, up ${bw(x.upload_bps)}, down ${bw(x.download_bps)}`)}${row('work queue', String(x.workQueue))}`
    + `${row('traffic', `in ${mb(x.bytes_in)}, out ${mb(x.bytes_out)}`)}${row('CPU busy', `${(100 * x.cpu_busy_fraction).toFixed(1)}% of its cores`)}</table>`;
  if (x.rows.length > 0) {
    html += `<table><tr>${x.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`
      + x.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')
      + '</table>';
  }
  if (x.recent.length > 0) {
    html += `<table class="recent"><tr><th>at</th><th>from</th><th>message</th><th>${esc(x.chainWord)}</th><th>bytes</th></tr>`
      + x.recent.map((m) => `<tr><td>${(m.at_us / 1e6).toFixed(3)} s</td><td>${esc(m.from)}</td><td>${esc(m.kind)}</td><td>${m.table ?? ''}</td><td>${m.bytes}</td></tr>`).join('')
      + '</table>';
  } else html += '<p class="note">Messages it receives appear here while the run goes on.</p>';
  $('inspector').innerHTML = html;
}

function maybeInspect(ts: number): void {
  if (!st.meta || st.selected < 0 || st.inspecting || ts - st.lastInspect < 500) return;
  st.lastInspect = ts;
  st.inspecting = true;
  const gen = st.gen;
  call((api) => api.inspect(st.selected)).then((x) => {
    st.inspecting = false;
    if (x && gen === st.gen) renderInspection(x);
  }, () => { st.inspecting = false; });
}

// ---------------------------------------------------------------------------------------------
// The frame loop

function tick(ts: number): void {
  st.frameTimes.push(ts);
  while (st.frameTimes.length > 0 && ts - st.frameTimes[0] > 1000) st.frameTimes.shift();
  st.fps = st.frameTimes.length > 1 ? ((st.frameTimes.length - 1) * 1000) / (ts - st.frameTimes[0]) : 0;
  request(ts);
  if (st.mode !== 'running') st.lastTs = ts;
  network.draw(ts);
  if (ts - st.lastCharts > 250) {
    st.lastCharts = ts;
    charts.draw();
    $('fps').textContent = st.fps.toFixed(0);
    renderPace();
  }
  if (!st.ahead) maybeInspect(ts); // (the worker's run is ahead of what the page shows)
  requestAnimationFrame(tick);
}

// ---------------------------------------------------------------------------------------------
// Wiring

function legends(): void {
  $('network-legend').innerHTML = Object.entries(ROLE_COLOR).map(([r, c]) => `<i style="background:${c}"></i>${r}`).join('')
    + '<i style="background:#fff;border:2px solid #e6b800"></i>leader<i style="background:#bbb"></i>crashed<i style="background:#fff;border:2px solid #d62728"></i>byzantine'
    + '<br>messages' + [[1, 'tx batch'], [2, 'proposal'], [3, 'vote'], [4, 'certificate'], [7, 'receipt']]
      .map(([k, name]) => `<i class="sq" style="background:${KIND_COLOR(k as number)}"></i>${name}`).join('');
  $('tables-legend').innerHTML = Object.entries(CLASS_FILL).map(([k, c]) => `<i class="sq" style="background:${c};border:1px solid #777"></i>${k}`).join('')
    + '<i class="sq" style="border:2px solid #e6550d"></i>locked<i class="sq" style="border:2px dashed #9e9ac8"></i>certified'
    + '<i class="sq" style="background:#d62728;width:2px"></i>view change'
    + '<i class="sq" style="background:#8250df;height:2px"></i>receipt';
}

function wire(): void {
  $('play').addEventListener('click', play);
  $('run-ahead').addEventListener('click', runAhead);
  $('pause').addEventListener('click', pause);
  $('step').addEventListener('click', step);
  $<HTMLSelectElement>('scenario').addEventListener('change', (e) => {
    void loadBundled((e.target as HTMLSelectElement).value, null);
  });
  $('load').addEventListener('click', () => {
    const seed = seedInput();
    if (Number.isNaN(seed)) return;
    // Before anything loaded (a bad share URL, a worker that failed), Load starts the picked scenario.
    if (st.source) void load(st.source, seed, []);
    else void loadBundled($<HTMLSelectElement>('scenario').value, seed);
  });
  $<HTMLInputElement>('file').addEventListener('change', async (e) => {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    if (file.size > FILE_BYTES_MAX) {
      showProblems([{ path: file.name, message: `expected a scenario of at most ${FILE_BYTES_MAX / (1 << 20)} MB, got ${(file.size / (1 << 20)).toFixed(1)} MB` }]);
      input.value = '';
      return;
    }
    const text = await file.text();
    input.value = '';
    await load({ kind: 'file', name: file.name, text }, null, []);
  });
  $<HTMLInputElement>('timeline').addEventListener('change', (e) => {
    void scrub(Number((e.target as HTMLInputElement).value) * 1000);
  });
  $<HTMLSelectElement>('workers').addEventListener('change', (e) => {
    const w = Number((e.target as HTMLSelectElement).value);
    st.workers = w;
    // The same run on another count of workers: it runs again from 0 to where it was.
    if (st.meta && st.mode !== 'error') void rerun(st.actions, st.now_us, `re-running on ${w} worker${w > 1 ? 's' : ''}`, w);
  });
  $<HTMLSelectElement>('group-by').addEventListener('change', (e) => network.setGroupBy((e.target as HTMLSelectElement).value as GroupBy));
  $<HTMLSelectElement>('msg-filter').addEventListener('change', (e) => {
    const kinds = MESSAGE_FILTERS[(e.target as HTMLSelectElement).value];
    network.shownKinds = kinds ? new Set(kinds) : null;
  });
  $<HTMLSelectElement>('node').addEventListener('change', (e) => select(Number((e.target as HTMLSelectElement).value)));
  $('crash').addEventListener('click', () => void act((at) => {
    const node = selectedName();
    if (node !== null && selectedAlive() === false) {
      showProblems([{ path: 'crash', message: `${node} is already down` }]);
      return null;
    }
    return node ? { kind: 'crash', node, at_us: at } : null;
  }));
  $('restart').addEventListener('click', () => void act((at) => {
    const node = selectedName();
    if (node !== null && selectedAlive() === true) {
      showProblems([{ path: 'restart', message: `${node} is running: Restart brings back a node crashed from the page (Crash it first)` }]);
      return null;
    }
    if (node !== null && !st.actions.some((a) => a.kind === 'crash' && a.node === node)) {
      showProblems([{ path: 'restart', message: `${node} is down by the scenario's own fault; the page restarts only the nodes it crashed` }]);
      return null;
    }
    return node ? { kind: 'restart', node, at_us: at } : null;
  }));
  $('equivocate').addEventListener('click', () => void act((at) => {
    const node = selectedName();
    return node ? { kind: 'equivocate', node, at_us: at } : null;
  }));
  $('partition').addEventListener('click', () => void act((at) => {
    const a = $<HTMLSelectElement>('part-a').value;
    const b = $<HTMLSelectElement>('part-b').value;
    if (a === b) {
      showProblems([{ path: 'partition', message: 'expected two different groups' }]);
      return null;
    }
    return { kind: 'partition', a, b, at_us: at };
  }));
  $('heal').addEventListener('click', () => void act((at) => ({ kind: 'heal', at_us: at })));
  $('export').addEventListener('click', () => void exportScenario());
  $('share').addEventListener('click', () => {
    const url = shareUrl();
    window.history.replaceState(null, '', url);
    navigator.clipboard?.writeText(url).catch(() => {});
    if (st.source?.kind === 'file') showProblems([{ path: 'share', message: 'a scenario opened from a file is not in the URL; export it to share it' }]);
  });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    if (e.key === ' ') {
      e.preventDefault();
      if (st.mode === 'running') pause();
      else play();
    } else if (e.key === '.') step();
  });
}

declare global {
  interface Window {
    topsim: {
      state(): {
        status: string; now_us: number; duration_us: number; done: boolean; digest: string | null;
        committed: number; tps: number; events: number; fps: number; nodes: number; crashed: string[]; actions: string; map: boolean;
        workers: number; isolated: boolean; ahead: 'computing' | 'replaying' | null;
      };
      exportText(): Promise<string>;
    };
  }
}

window.topsim = {
  state: () => ({
    status: $('status').dataset.state ?? '',
    now_us: st.now_us,
    duration_us: st.duration_us,
    done: st.mode === 'done',
    digest: st.digest,
    committed: st.committed,
    tps: st.tps,
    events: st.events,
    fps: st.fps,
    nodes: st.meta?.nodes.length ?? 0,
    crashed: st.frame && st.meta ? st.meta.nodes.filter((_, i) => !(st.frame!.flags[i] & 1)).map((n) => n.name) : [],
    actions: encodeActions(st.actions),
    map: network.showsMap,
    workers: st.workersRun,
    isolated: crossOriginIsolated,
    ahead: st.ahead === null ? null : st.ahead.replaying ? 'replaying' : 'computing',
  }),
  exportText: () => call((api) => api.exportText()),
};

async function init(): Promise<void> {
  fillScenarioPicker();
  fillWorkers();
  legends();
  wire();
  requestAnimationFrame(tick);
  // A share URL. A bad one loads nothing: its problems show, and what it got right is offered
  // (the scenario in the picker, the seed in its field) for Load to start.
  const { run, problems } = readShareUrl(window.location.search, [...BUNDLED.keys()], 'default.yaml');
  if (run.scenario !== null) $<HTMLSelectElement>('scenario').value = run.scenario;
  if (run.seed !== null) $<HTMLInputElement>('seed').value = String(run.seed);
  if (run.workers !== null) {
    st.workers = run.workers;
    fillWorkers();
  }
  if (problems.length > 0 || run.scenario === null) {
    showProblems(problems);
    setStatus('error', 'error');
    return;
  }
  const word = (p: Problem): Problem => (p.path === '--seed' ? { path: 'URL parameter seed', message: p.message } : shareIssue(p, run.actions));
  await loadBundled(run.scenario, run.seed, run.actions, word);
}

// Nothing that goes wrong while starting leaves the page on "loading".
init().catch(fail);
