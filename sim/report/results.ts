/**
 * The results files of the commands that split their work into shards besides sweeps (whose
 * manifest is ./sweep.ts): `bench.json` and `bench.csv` for a benchmark suite, `swarm.json` and
 * `swarm.csv` for a swarm. Each names what the whole job holds (the suite's entries, the swarm's
 * seeds), the shard it covers, and one result per item run, with simulated figures only, so that
 * `merge` puts shards together and the merged csv is byte for byte the unsharded one.
 */

import { csvText } from './csv.js';

export const RESULTS_SCHEMA_VERSION = 1;

export interface ResultItem {
  /** Position in the whole job (a suite entry's index, a swarm seed's offset from the first). */
  k: number;
  /** The entry id, or the seed. */
  id: string;
  digest: string;
  /** ok, or why not (a bench status; a swarm seed's first violation or failure). */
  status: string;
  /** Simulated figures, by name, in a fixed order. */
  figures: Record<string, number | string | null>;
}

export interface ResultsFile {
  results_schema_version: number;
  /** `bench` or `swarm`. */
  kind: 'bench' | 'swarm';
  simulator_version: string;
  /** The suite, or the swarm's drawing (its base and flags): shards of one job have the same. */
  job: string;
  /** The ids of every item of the whole job, in order. */
  ids: string[];
  shard: { i: number; n: number } | null;
  merged_from?: string[];
  /** Items of this shard (or of the job, after a merge) with no result. */
  missing: number[];
  items: ResultItem[];
}

export function resultsJson(r: ResultsFile): string {
  return JSON.stringify(r, null, 2) + '\n';
}

/** The csv: k, id, status, the figures (columns of the first item, in its order), digest. */
export function resultsCsv(r: ResultsFile): string {
  const names: string[] = [];
  for (const it of r.items) for (const n of Object.keys(it.figures)) if (!names.includes(n)) names.push(n);
  return csvText(['k', 'id', 'status', ...names, 'digest'],
    [...r.items].sort((a, b) => a.k - b.k).map((it) => [it.k, it.id, it.status, ...names.map((n) => it.figures[n]), it.digest]));
}

/** Why results files cannot be merged: exit 2 for another job, 1 for results that disagree. */
export class ResultsMergeError extends Error {
  constructor(readonly exitCode: 1 | 2, message: string) {
    super(message);
  }
}

/** The shards' results as one file: the items of all, each once, and what none of them has. */
export function mergeResults(parts: readonly { dir: string; file: ResultsFile }[]): ResultsFile {
  if (parts.length === 0) throw new ResultsMergeError(2, 'nothing to merge');
  const first = parts[0].file;
  const byK = new Map<number, { dir: string; item: ResultItem }>();
  for (const { dir, file } of parts) {
    for (const key of ['kind', 'simulator_version', 'job'] as const) {
      if (file[key] !== first[key]) throw new ResultsMergeError(2, `${dir}: not the ${first.kind} of ${parts[0].dir}: ${key} ${JSON.stringify(file[key])}, not ${JSON.stringify(first[key])}`);
    }
    if (JSON.stringify(file.ids) !== JSON.stringify(first.ids)) throw new ResultsMergeError(2, `${dir}: not the ${first.kind} of ${parts[0].dir}: other items`);
    for (const it of file.items) {
      const seen = byK.get(it.k);
      if (seen === undefined) byK.set(it.k, { dir, item: it });
      else if (seen.item.digest !== it.digest) {
        throw new ResultsMergeError(1, `${it.id}: digest ${seen.item.digest.slice(0, 12)} in ${seen.dir} but ${it.digest.slice(0, 12)} in ${dir}`);
      }
    }
  }
  const missing: number[] = [];
  for (let k = 0; k < first.ids.length; k++) if (!byK.has(k)) missing.push(k);
  return {
    results_schema_version: RESULTS_SCHEMA_VERSION,
    kind: first.kind,
    simulator_version: first.simulator_version,
    job: first.job,
    ids: first.ids,
    shard: null,
    merged_from: parts.map((p) => p.dir),
    missing,
    items: [...byK.values()].map((x) => x.item).sort((a, b) => a.k - b.k),
  };
}

/** A results file read back, checked for the fields a merge reads, or why not. */
export function parseResults(text: string, name: string): { file: ResultsFile } | { problem: string } {
  let x: unknown;
  try {
    x = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { problem: `${name}: not JSON` };
  }
  const r = x as Partial<ResultsFile> | null;
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return { problem: `${name}: expected a results object` };
  if (r.results_schema_version !== RESULTS_SCHEMA_VERSION) return { problem: `${name}: results_schema_version: expected ${RESULTS_SCHEMA_VERSION}, got ${JSON.stringify(r.results_schema_version)}` };
  if (r.kind !== 'bench' && r.kind !== 'swarm') return { problem: `${name}: kind: expected bench or swarm` };
  if (typeof r.job !== 'string' || typeof r.simulator_version !== 'string') return { problem: `${name}: job: missing or malformed` };
  if (!Array.isArray(r.ids) || r.ids.some((i) => typeof i !== 'string')) return { problem: `${name}: ids: missing or malformed` };
  if (!Array.isArray(r.items) || r.items.some((i) => typeof i?.k !== 'number' || typeof i.digest !== 'string' || i.k < 0 || i.k >= r.ids!.length)) {
    return { problem: `${name}: items: missing or malformed` };
  }
  return { file: { ...r, missing: Array.isArray(r.missing) ? r.missing : [] } as ResultsFile };
}
