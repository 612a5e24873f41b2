/**
 * Invariant checkers (docs/CHECKS.md). They watch every commit record of every node and judge the
 * protocol from outside it: they keep their own records and never trust the protocol's
 * bookkeeping. Each violation names the check, node, chain, height and simulated time.
 *
 * A commit counts as honest when no byzantine window of its node covers its time; docs/CHECKS.md
 * says what each check covers. The generic checks here hold for any chain of blocks:
 *
 * - safety: no two different blocks committed at one height of a chain (across honest commits);
 * - agreement: each node's honestly committed chain is hash-linked without gaps and is a prefix
 *   of the canonical chain (the first honest commit of each height); the link to the commit
 *   before is not judged across a byzantine window in which the node committed;
 * - liveness: after the last fault starts or heals, a chain with work waiting (the family says
 *   when work arrives: CheckHost.demand) commits within the bound.
 *
 * A family adds its own checks (FamilyChecks, e.g. TOP's conservation, nonce order and
 * exactly-once receipts in sim/protocol/top/checks.ts), called at fixed points of each commit so
 * the violations come out in one order. They see the canonical chain in height order: a height
 * first committed before the one below it (its committer synced past that one) waits for it.
 */
import type { CheckHost, FamilyChecks, ByzantineView, Violation } from '../contract/module.js';
import type { CommitKey } from '../contract/observe.js';

export const VIOLATIONS_MAX = 1000;

/** A family hook call held back until the heights below it are canonical. */
interface Held {
  name: string;
  key: CommitKey;
  block: object;
  now_us: number;
  state: number;
  /** The honest commits of this height that came after the first one, in arrival order. */
  later: { node: number; name: string; key: CommitKey; block: object; now_us: number; state: number; canonical: boolean }[];
}

export class Checkers implements CheckHost {
  readonly violations: Violation[] = [];
  /**
   * Per chain: the canonical block id of each height, '' for a height no honest node has
   * committed yet while one above it has (a gap: a node that synced past it, or committed it in
   * a byzantine window, committed the next height first). The first honest commit of a gap's
   * height fills it.
   */
  private readonly canonical: string[][] = [];
  /**
   * Per chain: the family has seen every canonical height up to this one (its `canonical` hook
   * was called). A family's checks apply the canonical chain height by height (TOP: nonces,
   * receipts in flight), so the hooks of the heights above a gap are held back until it fills.
   */
  private readonly told: number[] = [];
  /** Per chain: the held-back hook calls, by height (each one above `told`). */
  private readonly held: Map<number, Held>[] = [];
  /** A held-back `canonical` hook is running: the work it reports arrived in the past. */
  private replaying = false;
  /**
   * Per chain and node: its last honest commit; null when it committed inside a byzantine window
   * since (the next honest commit is not linked to the one before).
   */
  private readonly last: ({ height: number; id: string } | null)[][] = [];
  private readonly fired = new Set<string>();
  /** Per chain: when work arrived for it, and its first-commit times (both ascending). */
  private readonly demands: number[][] = [];
  private readonly commits: number[][] = [];
  /** The family's own checks (set once the family is built: they need this host). */
  family: FamilyChecks | null = null;

  constructor(
    private readonly names: readonly string[],
    private readonly byzantine: ByzantineView,
    genesisIds: readonly string[],
    /** Liveness is judged from this time on (the last fault change) with this bound. */
    private liveFrom_us: number,
    private readonly liveBound_us: number,
  ) {
    this.addChains(genesisIds);
  }

  /** Sets where liveness judging starts (known once the family is built). */
  judgeLivenessFrom(t_us: number): void {
    this.liveFrom_us = t_us;
  }

  /** More chains, by their genesis ids (the family builds them). */
  addChains(genesisIds: readonly string[]): void {
    for (const g of genesisIds) {
      this.canonical.push([g]);
      this.told.push(0);
      this.held.push(new Map());
      this.last.push([]);
      this.demands.push([]);
      this.commits.push([]);
    }
  }

  demand(chain: number, t_us: number): void {
    // Work from a held-back commit arrived before work already recorded; otherwise records come
    // in the run's order and are appended as they were.
    if (this.replaying) insertAscending(this.demands[chain], t_us);
    else this.demands[chain].push(t_us);
  }

  canonicalAt(chain: number, height: number): string | undefined {
    return this.canonical[chain][height];
  }

  once(key: string, v: Violation): void {
    if (this.fired.has(key)) return;
    this.fired.add(key);
    this.report(v);
  }

  report(v: Violation): void {
    if (this.violations.length < VIOLATIONS_MAX) this.violations.push(v);
  }

  /** A client offered transaction `tx` of class `cls` at `at_us`. */
  submit(tx: number, at_us: number, cls = 0): void {
    this.family?.submit(tx, at_us, cls);
  }

  /** A family's own record (Observe.note), for its checks and summary. */
  note(node: number, now_us: number, kind: number, chain: number, value: number): void {
    this.family?.note?.(node, now_us, kind, chain, value);
  }

  /** `node` committed `block`; `state` is the family's figure of its state right after. */
  commit(node: number, now_us: number, key: CommitKey, block: object, state: number): void {
    const t = key.chain;
    const canon = this.canonical[t];
    const fam = this.family;
    if (!this.byzantine.honestAt(node, now_us)) {
      // Not judged, but the family may take it as proof (TOP: exactly_once), and the node's chain
      // is not linked across this commit (agreement).
      fam?.byzantineCommit(key, block, now_us);
      this.last[t][node] = null;
      return;
    }
    const name = this.names[node];
    // safety
    if (key.height < canon.length && canon[key.height] !== '') {
      if (canon[key.height] !== key.id) {
        const k = `safety/${t}/${key.height}`;
        if (!this.fired.has(k)) {
          this.fired.add(k);
          this.report({
            check: 'safety', node: name, table: t, height: key.height, time_us: now_us,
            message: `committed ${key.id.slice(0, 12)} where another honest node committed ${canon[key.height].slice(0, 12)}`,
          });
        }
      }
    } else {
      // The first honest commit of its height.
      if (key.height < canon.length) {
        // It fills a gap. Records come in time order, so its time is the latest yet; inserting in
        // order keeps the first-commit times ascending (liveness) for records that do not.
        canon[key.height] = key.id;
        insertAscending(this.commits[t], now_us);
      } else {
        // Another node's gap is an agreement problem reported below; extend with placeholders.
        while (canon.length < key.height) canon.push('');
        canon.push(key.id);
        this.commits[t].push(now_us);
      }
      if (key.height === this.told[t] + 1) {
        fam?.canonical(name, key, block, now_us, state);
        this.told[t] = key.height;
      } else {
        this.held[t].set(key.height, { name, key, block, now_us, state, later: [] });
      }
    }
    // agreement: hash-linked, no gaps
    const prev = this.last[t][node] === undefined ? { height: 0, id: canon[0] } : this.last[t][node];
    if (prev !== null && (key.height !== prev.height + 1 || key.parent !== prev.id)) {
      this.report({
        check: 'agreement', node: name, table: t, height: key.height, time_us: now_us,
        message: key.height !== prev.height + 1
          ? `committed height ${key.height} right after ${prev.height}`
          : `block's parent ${key.parent.slice(0, 12)} is not this node's committed ${prev.id.slice(0, 12)}`,
      });
    } else if (prev === null && canon[key.height - 1] && key.parent !== canon[key.height - 1]) {
      // The first honest commit after a byzantine window: at least its parent must be canonical.
      this.report({
        check: 'agreement', node: name, table: t, height: key.height, time_us: now_us,
        message: `block's parent ${key.parent.slice(0, 12)} is not the committed ${canon[key.height - 1].slice(0, 12)}`,
      });
    }
    this.last[t][node] = { height: key.height, id: key.id };
    const isCanonical = canon[key.height] === key.id;
    if (key.height <= this.told[t]) {
      fam?.committed(node, name, key, block, now_us, state, isCanonical);
      // A filled gap: the family now sees the heights held back above it.
      if (this.held[t].size > 0) this.release(t, false);
    } else {
      // After the family's `canonical` of this height, which is held back.
      this.held[t].get(key.height)!.later.push({ node, name, key, block, now_us, state, canonical: isCanonical });
    }
  }

  /**
   * Calls the held-back hooks of chain `t` from the height above `told` up, in height order: for
   * each height its `canonical`, then its later commits' `committed`. Stops at the next gap,
   * unless `acrossGaps` (the end of the run: the gaps that remain never filled).
   */
  private release(t: number, acrossGaps: boolean): void {
    const held = this.held[t];
    const fam = this.family;
    this.replaying = true;
    try {
      while (held.size > 0) {
        let h = this.told[t] + 1;
        if (acrossGaps) while (!held.has(h)) h++;
        const c = held.get(h);
        if (c === undefined) break;
        held.delete(h);
        this.told[t] = h;
        fam?.canonical(c.name, c.key, c.block, c.now_us, c.state);
        for (const l of c.later) fam?.committed(l.node, l.name, l.key, l.block, l.now_us, l.state, l.canonical);
      }
    } finally {
      this.replaying = false;
    }
  }

  /**
   * A node installed a chain's state as of `key`: its commits continue from there. The block must
   * be the canonical one at that height (agreement).
   */
  sync(node: number, now_us: number, key: CommitKey): void {
    const table = key.chain;
    if (!this.byzantine.honestAt(node, now_us)) {
      this.last[table][node] = null;
      return;
    }
    const canon = this.canonical[table];
    if (key.height < canon.length && canon[key.height] !== '' && canon[key.height] !== key.id) {
      this.report({
        check: 'agreement', node: this.names[node], table, height: key.height, time_us: now_us,
        message: `synced state at ${key.id.slice(0, 12)}, not the committed ${canon[key.height].slice(0, 12)}`,
      });
    }
    this.last[table][node] = { height: key.height, id: key.id };
  }

  /**
   * Liveness at the end of the run: within [liveFrom, end], every stretch without a commit that
   * is longer than the bound must not start with work already waiting for the table.
   */
  private checkLiveness(end_us: number): void {
    const from = this.liveFrom_us;
    const bound = this.liveBound_us;
    for (let t = 0; t < this.commits.length; t++) {
      const c = this.commits[t];
      const d = this.demands[t];
      // Stretches: `from` .. next commit .. ... .. end.
      let prev = from;
      const stops = c.filter((x) => x > from);
      stops.push(end_us);
      for (const next of stops) {
        if (next - prev > bound) {
          // Work waiting at some point in [prev, next - bound]: the table sat on it too long.
          const waiting = firstAtOrAfter(d, prev - bound);
          const w = waiting >= 0 && d[waiting] <= next - bound ? d[waiting] : -1;
          if (w >= 0) {
            const since = Math.max(prev, w);
            this.report({
              check: 'liveness', node: '-', table: t, height: this.canonical[t].length - 1, time_us: next,
              message: `table ${t} made no commit for ${((next - since) / 1e6).toFixed(1)} s with work waiting ` +
                `(bound ${(bound / 1e6).toFixed(0)} s, judged from ${(from / 1e6).toFixed(1)} s)`,
            });
            break;
          }
        }
        prev = next;
      }
    }
  }

  /** End of run: honest nodes' committed chains must be prefixes of the canonical chain. */
  finish(now_us: number): void {
    // A gap still open never filled: the family sees the heights above it all the same, in
    // order, before the run is judged (the work they bring counts for liveness).
    for (let t = 0; t < this.held.length; t++) if (this.held[t].size > 0) this.release(t, true);
    this.checkLiveness(now_us);
    this.family?.finish(now_us);
    this.last.forEach((perNode, t) => {
      perNode.forEach((l, node) => {
        if (!l) return;
        const c = this.canonical[t][l.height];
        // A node that synced to a height no honest node committed: nothing to compare with.
        if (c !== '' && c !== l.id) {
          this.report({
            check: 'agreement', node: this.names[node], table: t, height: l.height, time_us: now_us,
            message: `committed chain ends in ${l.id.slice(0, 12)}, not on the canonical chain`,
          });
        }
      });
    });
  }
}

/** Inserts `x` into ascending `a` after any equal elements (a push when `x` is the largest). */
function insertAscending(a: number[], x: number): void {
  let lo = 0, hi = a.length;
  if (hi === 0 || a[hi - 1] <= x) {
    a.push(x);
    return;
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, x);
}

/** Index of the first element >= x in an ascending array, or -1. */
function firstAtOrAfter(a: readonly number[], x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < a.length ? lo : -1;
}
