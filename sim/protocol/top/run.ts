/** A built TOP run: the generic FamilyRun and the facts TOP's tests, summary and page read. */
import type { TopScenario } from './scenario.js';
import type { FamilyRun } from '../../contract/module.js';
import type { TopLayout } from './layout.js';
import type { ChainContext } from './context.js';
import type { TxStore } from './txstore.js';
import type { ClusterRound, GroundTrigger } from './beacon.js';
import type { Departure } from './churn.js';
import type { TopChecks } from './checks.js';

/** A TOP run as built: the generic FamilyRun and the facts TOP's tests, summary and page read. */
export interface TopRun extends FamilyRun {
  sc: TopScenario;
  layout: TopLayout;
  ctx: ChainContext;
  txs: TxStore;
  /** Each cluster's election rounds, genesis first (docs/PROTOCOL.md §7). */
  rounds: ClusterRound[][];
  /** Election triggers whose seed a grinding aggregator chose (MC-3). */
  ground: GroundTrigger[];
  /** Nodes that left (`leave` faults) and when they went offline. */
  departures: Departure[];
  /** TOP's checks, which also tally the receipt windows for the limits analysis. */
  checks: TopChecks;
}
