/**
 * Bystack's sections of report.html (ProtocolModule.reportSections), from its summary sections
 * (module.ts MainSummary, VaporSummary, FederationSummary): what each chain did, its forks and
 * reorganisations, who made its blocks, and the pegs between them.
 */
import type { ReportSection } from '../../contract/module.js';
import type { FederationSummary, MainSummary, VaporSummary } from './summary.js';

const sec = (x: number | null, d = 1) => (x === null ? '–' : (x / 1000).toFixed(d));
const ms = (x: number | null) => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));
const n = (x: number) => x.toLocaleString('en-US');

export function reportSections(s: object): ReportSection[] {
  const out: ReportSection[] = [];
  const m = (s as { mainchain?: MainSummary }).mainchain;
  if (m !== undefined) {
    const stale = Object.entries(m.stale_by_height ?? {});
    out.push({
      title: 'Main chain (Bytom, proof of work)',
      note: 'Miners find blocks at random, each in proportion to its hash rate. When two blocks meet at one height, the heavier branch wins and the other block goes stale. ' +
        'A reorganisation is a node moving to the heavier branch; its depth is the blocks it drops. A block is final at the confirmation depth.',
      figures: [
        ['final height', n(m.final_height)],
        ['blocks mined', n(m.blocks_mined)],
        ['stale blocks', `${n(m.stale_blocks)} (${(100 * m.stale_rate).toFixed(1)}%)`],
        ['mean block interval (s)', m.block_interval_mean_s === null ? '–' : m.block_interval_mean_s.toFixed(1)],
        ['reorganisations (deepest)', `${n(m.reorgs)} (${m.reorg_depth_max})`],
        ['block propagation p50 / p90 (s)', `${sec(m.propagation_ms.p50, 2)} / ${sec(m.propagation_ms.p90, 2)}`],
        ['block propagation max (s)', sec(m.propagation_ms.max, 2)],
      ],
      tables: m.reorgs > 0
        ? [{ caption: 'Node-level reorganisations by depth (blocks dropped)', head: ['depth', 'reorganisations'], rows: Object.entries(m.reorgs_by_depth).map(([d, c]) => [Number(d), c]) }]
        : [],
      strips: [{
        title: `Forks: the stale blocks at each height of the final chain (${n(m.stale_blocks)} at ${n(stale.length)} of ${n(m.final_height)} heights)`,
        axis: 'height', unit: 'stale blocks', length: m.final_height, marks: stale.map(([h, c]) => [Number(h), c]),
      }],
      bars: [{ title: 'Final blocks per miner', unit: 'blocks', bars: Object.entries(m.blocks_by_miner) }],
    });
  }
  const v = (s as { vapor?: VaporSummary | null }).vapor;
  if (v !== undefined && v !== null) {
    const d = v.double_signs;
    out.push({
      title: 'Vapor side chain (DPoS)',
      note: 'Producers take turns, 12 blocks each in 0.5 s slots. Every producer signs the blocks it accepts, and a block is irreversible once more than 2/3 of them have signed. ' +
        'Irreversibility is timed from the start of the block\'s slot to the first node that holds it irreversible.',
      figures: [
        ['irreversible height', n(v.final_height)],
        ['blocks produced', n(v.blocks_produced)],
        ['forked blocks', n(v.forked_blocks)],
        ['missed slots', n(v.missed_slots)],
        ['reorganisations (deepest)', `${n(v.reorgs)} (${v.reorg_depth_max})`],
        ['irreversible after p50 / p90 (ms)', `${ms(v.irreversible_ms.p50)} / ${ms(v.irreversible_ms.p90)}`],
        ['irreversible after max (ms)', ms(v.irreversible_ms.max)],
        ['transfers per block', v.txs_per_block_mean.toFixed(1)],
        ['double signs caught', d.caught === 0 ? '0' : `${n(d.caught)} (${d.producers.join(', ')}; ${n(d.refusals)} refusals)`],
      ],
      bars: [{ title: 'The rotation: irreversible blocks per producer', unit: 'blocks', bars: Object.entries(v.blocks_by_producer) }],
    });
  }
  const f = (s as { federation?: FederationSummary | null }).federation;
  if (f !== undefined && f !== null) {
    const row = (way: string, p: FederationSummary['peg_in']): (string | number)[] => [way, p.locked, p.released, p.open, p.value_locked, p.value_released];
    out.push({
      title: 'Federation (pegs between the chains)',
      note: 'A peg-in locks on the main chain and, once the signers have seen enough confirmations and signed, mints on Vapor. A peg-out burns on Vapor and is paid on the main chain. ' +
        'Counts are of final locks and releases; each peg\'s latency is the latency of its class, peg_in or peg_out, above.',
      tables: [{
        caption: 'Pegs each way',
        head: ['way', 'locked (final)', 'released (final)', 'open', 'value locked', 'value released'],
        rows: [row('peg-in (main chain to Vapor)', f.peg_in), row('peg-out (Vapor to main chain)', f.peg_out)],
      }],
    });
  }
  return out;
}
