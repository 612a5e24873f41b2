import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../sim/cli/main.js';
import { gridValues, shardPoints, type SweepManifest } from '../sim/report/sweep.js';
import { capture } from './helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'topsim-sweep-'));

/** A few nodes for 5 simulated seconds: each point runs in well under a second. */
const TINY = `name: tiny
duration: 5s
warmup: 1s
network: { latency: { dataset: wittgenstein-aws-rtt-2019, regions: [Frankfurt, London] } }
topology: { validators: 4, auditors: 4, edges: 1 }
workload: { accounts: 50, rate_tps: 20 }
`;

const SETS = ['--set', 'tables=1,2', '--set', 'rate=10,20,40'];
const IDS = [
  'tables=1,rate_tps=10', 'tables=1,rate_tps=20', 'tables=1,rate_tps=40',
  'tables=2,rate_tps=10', 'tables=2,rate_tps=20', 'tables=2,rate_tps=40',
];

const manifest = (dir: string): SweepManifest => JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));

describe('sweep and merge', () => {
  let dir: string;
  let file: string;
  /** The unsharded sweep, and its two shards, run once for the whole file. */
  let all: string;
  let s1: string;
  let s2: string;
  let allOut: string;

  beforeAll(async () => {
    dir = tmp();
    file = join(dir, 'tiny.yaml');
    writeFileSync(file, TINY);
    all = join(dir, 'all');
    s1 = join(dir, 's1');
    s2 = join(dir, 's2');
    const c = capture();
    expect(await main(['sweep', file, ...SETS, '--out', all], c.io)).toBe(0);
    allOut = c.out();
    expect(await main(['sweep', file, ...SETS, '--shard', '1/2', '--out', s1], capture().io)).toBe(0);
    expect(await main(['sweep', file, ...SETS, '--shard', '2/2', '--out', s2], capture().io)).toBe(0);
  });

  it('runs the grid in a fixed order, the first key slowest, one directory per point', () => {
    const keys = [{ values: [1, 2] }, { values: [10, 20, 40] }];
    expect([0, 1, 2, 3, 4, 5].map((k) => gridValues(keys, k))).toEqual([[1, 10], [1, 20], [1, 40], [2, 10], [2, 20], [2, 40]]);
    const m = manifest(all);
    expect(m.points.map((p) => p.k)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(m.points.map((p) => p.id)).toEqual(IDS);
    expect(m.points_total).toBe(6);
    expect(m.shard).toEqual({ i: 1, n: 1 });
    expect(m.missing).toEqual([]);
    expect(m.base_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.keys.map((k) => [k.set, k.path, k.label])).toEqual([
      ['tables', 'topology.tables', 'tables'], ['rate', 'workload.rate_tps', 'rate_tps'],
    ]);
    for (const p of m.points) {
      expect(readdirSync(join(all, p.id)).sort()).toEqual(['report.html', 'summary.json', 'timeseries.csv']);
      const s = JSON.parse(readFileSync(join(all, p.id, 'summary.json'), 'utf8'));
      expect(s.digest).toBe(p.digest);
      expect(s.scenario_file.topology.tables).toBe(p.values[0]);
      expect(s.tps_final).toBe(p.tps_final);
      expect(p.wall.wall_s).toBeGreaterThanOrEqual(0);
    }
    expect(readdirSync(all).sort()).toEqual([...IDS, 'sweep.csv', 'sweep.html', 'sweep.json'].sort());
    expect(allOut.split('\n')[1]).toMatch(/^k\s+tables\s+rate_tps\s+tps_final\s+tps_slots/);
  });

  it('shards split the grid by k % n: disjoint, together every point, with the same digests', async () => {
    expect(shardPoints(6, { i: 1, n: 2 })).toEqual([0, 2, 4]);
    expect(shardPoints(6, { i: 2, n: 2 })).toEqual([1, 3, 5]);
    expect(shardPoints(7, { i: 3, n: 3 })).toEqual([2, 5]);
    const a = manifest(s1);
    const b = manifest(s2);
    expect(a.points.map((p) => p.k)).toEqual([0, 2, 4]);
    expect(b.points.map((p) => p.k)).toEqual([1, 3, 5]);
    expect(a.shard).toEqual({ i: 1, n: 2 });
    expect(a.base_hash).toBe(manifest(all).base_hash);
    const digests = new Map(manifest(all).points.map((p) => [p.k, p.digest]));
    for (const p of [...a.points, ...b.points]) expect(p.digest, `k=${p.k}`).toBe(digests.get(p.k));
    // A shard writes its manifest and points only; the csv and html come from merge.
    expect(existsSync(join(s1, 'sweep.csv'))).toBe(false);
    expect(readdirSync(s1).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it("a point's digest is the digest of a plain run of the same scenario with the values set", async () => {
    const f = join(dir, 'point.yaml');
    writeFileSync(f, TINY.replace('topology: { ', 'topology: { tables: 2, ').replace('rate_tps: 20', 'rate_tps: 40'));
    const c = capture();
    expect(await main(['run', f, '--json', '--workers', '1', '--out', join(dir, 'plain')], c.io)).toBe(0);
    expect(JSON.parse(c.out()).digest).toBe(manifest(all).points[5].digest);
  });

  it('merge of the two shards gives the unsharded sweep: the same csv bytes and table', async () => {
    const out = join(dir, 'merged');
    const c = capture();
    expect(await main(['merge', s1, s2, '--out', out], c.io)).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['sweep.csv', 'sweep.html', 'sweep.json']);
    const csv = readFileSync(join(out, 'sweep.csv'), 'utf8');
    expect(csv).toBe(readFileSync(join(all, 'sweep.csv'), 'utf8'));
    expect(csv).not.toMatch(/wall/);
    expect(csv.split('\n')[0]).toMatch(/^k,tables,rate_tps,tps_final,tps_slots,latency_final_ms_all_p50,latency_final_ms_all_p99,/);
    expect(csv.trim().split('\n')).toHaveLength(7);
    // The table on stdout is the sweep's, apart from the line naming the output file.
    const table = (s: string) => s.split('\n').filter((l) => !/^(sweep|merged): /.test(l)).join('\n');
    expect(table(c.out())).toBe(table(allOut));
    const m = manifest(out);
    expect(m.shard).toBeNull();
    expect(m.merged_from).toEqual([s1, s2]);
    expect(m.missing).toEqual([]);
    expect(m.points.map((p) => p.digest)).toEqual(manifest(all).points.map((p) => p.digest));
    // sweep.html links each point's report in the shard that ran it.
    const hrefs = [...readFileSync(join(out, 'sweep.html'), 'utf8').matchAll(/\shref="([^"]+)"/g)].map((x) => decodeURI(x[1]));
    expect(hrefs).toHaveLength(IDS.length);
    for (const h of hrefs) {
      expect(h).toMatch(/^\.\.\/[^/]+\/[^/]+\/report\.html$/);
      expect(existsSync(join(out, h)), h).toBe(true);
    }
  });

  it('sweep.html draws one path per series of the sweep curve, and has no script', () => {
    const html = readFileSync(join(all, 'sweep.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\ssrc=/);
    // Its only links: each point's report, beside it.
    const hrefs = [...html.matchAll(/\shref="([^"]+)"/g)].map((x) => x[1]);
    expect(hrefs).toEqual(IDS.map((id) => `${id}/report.html`));
    for (const h of hrefs) expect(existsSync(join(all, decodeURI(h))), h).toBe(true);
    const svgs: string[] = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    // Throughput, then one chart per latency class.
    expect(svgs.length).toBeGreaterThanOrEqual(2);
    expect(svgs[0]).toContain('tps_final (solid) and tps_slots (dashed) against tables');
    // One line per combination of the other keys (3 rates), for tps_final and tps_slots.
    expect(svgs[0].match(/<path /g)).toHaveLength(6);
    expect(svgs[1]).toContain('latency_final_ms all');
    expect(svgs[1].match(/<path /g)).toHaveLength(6);
    for (const svg of svgs) expect([0, 6]).toContain((svg.match(/<path /g) ?? []).length);
    for (const id of ['rate_tps=10', 'rate_tps=20', 'rate_tps=40']) expect(html).toContain(id);
    expect(html).toContain('<th class="n">wall s</th>');
    expect(html).toContain('<div class="wide"><table>');
  });

  it('a class with no finalized transaction is null in sweep.json, an empty cell in sweep.csv, and – in the table and sweep.html', () => {
    // One table: no cross-table transfer at the tables=1 points.
    const m = manifest(all);
    expect(m.sweep_schema_version).toBe(2);
    const one = m.points.filter((p) => p.values[0] === 1);
    expect(one).toHaveLength(3);
    for (const p of one) expect(p.latency_final_ms['cross_table'], p.id).toEqual({ count: 0, p50: null, p99: null });
    for (const p of m.points) expect(p.latency_final_ms['all']?.p50, p.id).toBeGreaterThan(0);
    const [head, ...rows] = readFileSync(join(all, 'sweep.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
    const cols = ['latency_final_ms_cross_table_p50', 'latency_final_ms_cross_table_p99'].map((h) => head.indexOf(h));
    expect(cols.every((c) => c > 0)).toBe(true);
    for (const r of rows.filter((r) => r[1] === '1')) for (const c of cols) expect(r[c], r.join(',')).toBe('');
    const tableRows = allOut.split('\n').filter((l) => /^\d+\s+1\s/.test(l));
    expect(tableRows).toHaveLength(3);
    for (const l of tableRows) expect(l).toMatch(/\s–\s+–\s/);
    const html = readFileSync(join(all, 'sweep.html'), 'utf8');
    expect(html.match(/<td class="n">–<\/td>/g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('– where no transaction of the class finalized');
  });

  it('merge reads a version 1 manifest, whose empty classes have 0 latencies, as null', async () => {
    const old = join(dir, 'v1');
    const m1 = manifest(s1);
    m1.sweep_schema_version = 1;
    for (const p of m1.points) {
      for (const l of Object.values(p.latency_final_ms)) if (l.count === 0) Object.assign(l, { p50: 0, p99: 0 });
    }
    expect(JSON.stringify(m1)).toContain('"count":0,"p50":0,"p99":0');
    writeFileSync(join(dir, 'v1.json'), JSON.stringify(m1));
    const c = capture();
    expect(await main(['merge', join(dir, 'v1.json'), s2, '--out', old], c.io)).toBe(0);
    expect(readFileSync(join(old, 'sweep.csv'), 'utf8')).toBe(readFileSync(join(all, 'sweep.csv'), 'utf8'));
    const merged = manifest(old);
    expect(merged.sweep_schema_version).toBe(2);
    expect(merged.points.map((p) => p.latency_final_ms)).toEqual(manifest(all).points.map((p) => p.latency_final_ms));
    // An unknown version is refused, naming the versions a merge reads.
    writeFileSync(join(dir, 'v9.json'), JSON.stringify({ ...m1, sweep_schema_version: 9 }));
    const bad = capture();
    expect(await main(['merge', join(dir, 'v9.json'), s2, '--out', join(dir, 'v9')], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/sweep_schema_version: expected 1 or 2, got 9/);
  });

  it('merge names the missing points (exit 1) and still writes the merged output with a note', async () => {
    const out = join(dir, 'partial');
    const c = capture();
    expect(await main(['merge', s1, '--out', out], c.io)).toBe(1);
    const note = 'incomplete: missing k=1 (tables=1,rate_tps=20), k=3 (tables=2,rate_tps=10), k=5 (tables=2,rate_tps=40)';
    expect(c.out()).toContain(note);
    expect(manifest(out).missing).toEqual([1, 3, 5]);
    expect(readFileSync(join(out, 'sweep.html'), 'utf8')).toContain(note);
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('merge refuses other sweeps (exit 2) and disagreeing digests (exit 1), naming the culprit, writing nothing', async () => {
    const other = join(dir, 'other');
    expect(await main(['sweep', file, '--set', 'tables=1,2', '--set', 'rate=10,20', '--shard', '2/2', '--out', other], capture().io)).toBe(0);
    const out = join(dir, 'never');
    const c = capture();
    expect(await main(['merge', s1, other, '--out', out], c.io)).toBe(2);
    expect(c.err()).toMatch(new RegExp(`^error: ${other.replace(/[/\\]/g, '.')}: not the sweep of .*swept keys`));
    expect(c.err().trim().split('\n')).toHaveLength(1);
    // The same scenario with another duration is another sweep too (the base hash differs).
    const longer = join(dir, 'longer');
    expect(await main(['sweep', file, ...SETS, '--shard', '2/2', '--duration', '4s', '--out', longer], capture().io)).toBe(0);
    const c2 = capture();
    expect(await main(['merge', s1, longer, '--out', out], c2.io)).toBe(2);
    expect(c2.err()).toContain('base scenario hash');
    // A shard whose point disagrees with another copy of it.
    const forged = join(dir, 'forged');
    expect(await main(['sweep', file, ...SETS, '--shard', '2/2', '--out', forged], capture().io)).toBe(0);
    const m = manifest(forged);
    m.points[0].digest = '0'.repeat(64);
    writeFileSync(join(forged, 'sweep.json'), JSON.stringify(m));
    const c3 = capture();
    expect(await main(['merge', s1, s2, forged, '--out', out], c3.io)).toBe(1);
    expect(c3.err()).toMatch(/^error: point k=1 \(tables=1,rate_tps=20\): digest \w+ in .*s2 but 000000000000 in .*forged/);
    // Not a sweep directory at all.
    const c4 = capture();
    expect(await main(['merge', join(dir, 'nowhere'), '--out', out], c4.io)).toBe(2);
    expect(c4.err()).toMatch(/nowhere: no sweep\.json/);
    expect(existsSync(out)).toBe(false);
  });

  it('bad --set and --shard exit 2 with one error line before anything runs, and write nothing', async () => {
    const out = join(dir, 'bad');
    const cases: [string[], RegExp][] = [
      [['--set', 'bogus=1,2'], /^error: --set bogus=1,2: unknown key "bogus"/],
      [['--set', 'tables=1,0'], /^error: --set tables=0: topology\.tables: expected an integer from 1 to 1024, got 0$/],
      [['--set', 'tables'], /^error: --set tables: expected key=v1,v2/],
      [['--set', 'tables=1,,2'], /^error: --set tables=1,,2: expected a comma-separated list/],
      [['--set', 'tables=1,1'], /^error: --set tables=1,1: the value 1 is given twice/],
      [['--set', 'network.loss_percent=0,200'], /^error: --set network\.loss_percent=200: network\.loss_percent: expected a number from 0 to 100/],
      [['--set', 'tables=3', '--set', 'validator_groups=2'], /^error: --set tables=3 validator_groups=2: topology\.tables: expected a multiple of the 2 validator groups/],
      [['--set', 'seed.x=1'], /^error: --set seed\.x=1: seed is number 1, not a section/],
      [['--set', 'tables=1,2', '--shard', '0/2'], /^error: --shard: expected i\/n with 1 <= i <= n \(up to 100000\), like 2\/4, or auto, got "0\/2"/],
      [['--set', 'tables=1,2', '--shard', '3/2'], /^error: --shard: expected i\/n .*got "3\/2"/],
      [['--set', 'tables=1,2', '--shard', 'x'], /^error: --shard: expected i\/n .*got "x"/],
      [[], /^error: missing --set key=v1,v2/],
    ];
    for (const [args, re] of cases) {
      const c = capture();
      expect(await main(['sweep', file, ...args, '--out', out], c.io), args.join(' ')).toBe(2);
      const lines = c.err().trim().split('\n');
      expect(lines[0], args.join(' ')).toMatch(re);
      // One error line (usage mistakes add the pointer to the help text).
      expect(lines.filter((l) => !l.startsWith('run "npm run sim -- help"')), args.join(' ')).toHaveLength(1);
      expect(c.out()).toBe('');
    }
    expect(existsSync(out)).toBe(false);
    // Grid points combine: validator groups of 2 fit tables 2 and 4.
    const ok = capture();
    expect(await main(['sweep', file, '--set', 'tables=2,4', '--set', 'validator_groups=2', '--shard', '2/2', '--json', '--out', out], ok.io)).toBe(0);
    const m = JSON.parse(ok.out());
    expect(m.points.map((p: { id: string }) => p.id)).toEqual(['tables=4,validator_groups_per_auditor=2']);
  });
});
