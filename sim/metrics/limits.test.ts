import { describe, expect, it } from 'vitest';
import { limitStats, limitsLines, BINDING_AT } from './limits.js';
import type { NodeStats } from './types.js';

function node(role: string, mbIn: number, mbOut: number, cpu: number, bps = 100e6, cores = 2): NodeStats {
  // Bytes over a 10 s run for the given Mb/s.
  return {
    node: `${role}-${mbIn}-${mbOut}-${cpu}`, role, region: 'r', bytes_in: (mbIn * 1e6 * 10) / 8, bytes_out: (mbOut * 1e6 * 10) / 8,
    cpu_busy_fraction: cpu, crashed: false, cores, upload_bps: bps, download_bps: bps,
  };
}

const base = { sim_s: 10, window_s: 5, tables: 4, block_txs_max: 100, offered: 5000, tps_final: 400 };

describe('limits', () => {
  it('names the limit the busiest consensus node or the blocks reach, if any', () => {
    const quiet = [node('validator', 10, 10, 0.1), node('auditor', 20, 20, 0.2, 200e6, 4), node('edge', 99, 99, 0.99)];
    // Edges do not count: they stand for clients.
    const none = limitStats({ ...base, nodes: quiet, blocks: 20, legs: 400 });
    expect(none.binding).toBe('none');
    expect(none.block_fill).toBe(0.2);
    expect(none.blocks_per_table_per_s).toBe(1);
    expect(none.slot_capacity_legs_per_s).toBe(400);
    expect(none.bandwidth_util_max).toBe(0.1);
    expect(none.saturated).toBe(true); // 400 of 1000 offered per second
    expect(limitStats({ ...base, nodes: quiet, blocks: 20, legs: 1900 }).binding).toBe('slots');
    const link = [...quiet, node('auditor', 190, 20, 0.3, 200e6, 4)];
    const bw = limitStats({ ...base, nodes: link, blocks: 20, legs: 1700 });
    expect(bw.bandwidth_util_max).toBe(0.95);
    expect(bw.binding).toBe('bandwidth'); // 95% beats blocks 85% full
    const cpu = limitStats({ ...base, nodes: [...link, node('validator', 1, 1, 0.97)], blocks: 20, legs: 400 });
    expect(cpu.binding).toBe('cpu');
    const role = cpu.roles.find((r) => r.role === 'validator')!;
    expect(role.nodes).toBe(2);
    expect(role.in_mbps_max).toBe(10);
    expect(role.cpu_busy_max).toBe(0.97);
    expect(role.download_mbps_capacity).toBe(100);
    expect(BINDING_AT).toBe(0.8);
    for (const l of limitsLines(cpu)) expect(l.length).toBeLessThan(100);
    expect(limitsLines(cpu)[0]).toMatch(/^binding cpu: blocks 20% full, busiest link 95%, busiest CPU 97%, receipt window 0%$/);
    expect(cpu.receipt_window_pair).toBeNull();
  });

  it('names the receipt window when a pair of tables kept it nearly full', () => {
    const quiet = [node('validator', 10, 10, 0.1), node('auditor', 20, 20, 0.2, 200e6, 4)];
    const open = limitStats({ ...base, nodes: quiet, blocks: 20, legs: 400, receipt_window: { fill: 0.5, full: 0.1, from: 2, to: 3 } });
    expect(open.binding).toBe('none');
    expect(open.receipt_window_fill_max).toBe(0.5);
    expect(open.receipt_window_pair).toEqual([2, 3]);
    expect(open.receipt_window_full_share).toBe(0.1);
    const full = limitStats({ ...base, nodes: quiet, blocks: 20, legs: 1700, receipt_window: { fill: 0.9, full: 0.7, from: 2, to: 3 } });
    expect(full.binding).toBe('receipt_window'); // 90% beats blocks 85% full
    const lines = limitsLines(full);
    for (const l of lines) expect(l.length).toBeLessThan(100);
    expect(lines[0]).toBe('binding receipt window: blocks 85% full, busiest link 10%, busiest CPU 20%, receipt window 90%');
  });
});
