import { loadScenario } from '../sim/scenario/index.js';
import { buildRun } from '../sim/engine/build.js';
const sc = loadScenario(process.argv[2]);
const T = Number(process.argv[3]);
const from = Number(process.argv[4]) * 1e6, to = Number(process.argv[5]) * 1e6;
let names: string[] = [];
const b = buildRun(sc, {
  watch: {
    onCommit: (node, blk, now) => {
      if (blk.table === T && now >= from && now <= to && (names[node] === 'a4' || !b.honest[node] || names[node]==='v3')) console.log(`${(now / 1e6).toFixed(6)} ${names[node]}${b.honest[node] ? '' : '(byz)'} commit t${blk.table} h${blk.height} v${blk.view} ${blk.id.slice(0, 8)} txs ${blk.txs.length}`);
    },
    onView: (node, table, view, now) => {
      if (table === T && now >= from && now <= to && (names[node] === 'a4' || names[node]==='v3')) console.log(`${(now / 1e6).toFixed(6)} ${names[node]} view t${table} -> ${view}`);
    },
  },
});
names = b.nodes.map((x) => x.name);
b.sim.start();
b.sim.run(sc.duration_us, () => {});
