import { loadScenario } from '../sim/scenario/index.js';
import { buildRun } from '../sim/engine/build.js';
const sc = loadScenario(process.argv[2]);
const watchTx = new Set(process.argv.slice(3).map(Number));
const LEG = ['inner', 'send', 'recv', 'confirm'];
let names: string[] = [];
const b = buildRun(sc, {
  watch: {
    onCommit: (node, blk, now) => {
      for (let i = 0; i < blk.txs.length; i++) {
        if (watchTx.has(blk.txs[i])) {
          console.log(`${(now / 1e6).toFixed(6)} ${names[node]}${b.honest[node] ? '' : '(byz)'} commit t${blk.table} h${blk.height} ${blk.id.slice(0, 8)} tx ${blk.txs[i]} ${LEG[blk.legs[i]]} rid ${blk.rids[i]}`);
        }
      }
    },
  },
});
names = b.nodes.map((x) => x.name);
console.log('byzantine:', names.filter((_, i) => !b.honest[i]).join(','));
b.sim.start();
b.sim.run(sc.duration_us, () => {});
b.sim.finish();
b.checks.finish(b.sim.now_us);
for (const v of b.checks.violations.slice(0, 5)) console.log(JSON.stringify(v));
