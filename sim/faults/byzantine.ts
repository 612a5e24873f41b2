/**
 * When each node is byzantine: the windows of the scenario's `byzantine` entries, resolved to node
 * ids by the run builder. Checks and metrics judge a node by what it does while honest, so a node named in
 * `byzantine` is left out only inside its windows (`at` to `until`, or to the end), not for the
 * whole run; docs/CHECKS.md says what each check makes of a node around its windows.
 */
export class ByzantineWindows {
  /** Per node: [at, until) pairs, flattened; empty for a node never byzantine. */
  private readonly windows: number[][];

  constructor(n: number, entries: readonly { node: number; at_us: number; until_us: number }[]) {
    this.windows = Array.from({ length: n }, () => []);
    for (const e of entries) this.windows[e.node].push(e.at_us, e.until_us);
  }

  /** Whether `node` behaves honestly at `t_us` (no window of it covers `t_us`). */
  honestAt(node: number, t_us: number): boolean {
    const w = this.windows[node];
    for (let i = 0; i < w.length; i += 2) if (t_us >= w[i] && t_us < w[i + 1]) return false;
    return true;
  }

  /** Whether `node` is byzantine at some time of the run. */
  ever(node: number): boolean {
    return this.windows[node].length > 0;
  }
}
