/**
 * The memory check of the command line: a run whose estimated peak (sim/runner/memory.ts) exceeds
 * what this machine may give it is refused before anything is built or written.
 */
import { totalmem } from 'node:os';
import { wontFit } from '../runner/memory.js';
import { ScenarioError, type Scenario } from '../scenario/index.js';

/**
 * Bytes a run may use here: 90% of the machine's memory (or of the container's limit, when the
 * process has one), leaving room for the system and the progress display.
 */
export function memoryAvailable(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  const total = limit > 0 ? Math.min(limit, totalmem()) : totalmem();
  return Math.floor(total * 0.9);
}

/** Throws a ScenarioError naming `where` when `sc` over `workers` threads will not fit. */
export function checkMemory(sc: Scenario, workers: number, where: string, available = memoryAvailable()): void {
  const why = wontFit(sc, workers, available);
  if (why !== null) throw new ScenarioError([{ path: where, message: why }]);
}
