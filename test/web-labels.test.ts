// Group labels of the network view fit their cells (web/views/labels.ts): dozens of groups on screen
// make cells narrower than a full label, and a label never runs into the next cell.
import { describe, expect, it } from 'vitest';
import { fitLabel, shortGroup } from '../web/views/labels.js';

/** About 6 px a character, as 11 px system-ui measures digits and lower case. */
const measure = (t: string) => 6 * t.length;

describe('network labels', () => {
  it('shortens a group selector to its kind and number', () => {
    expect(shortGroup('vgroup:12')).toBe('vg12');
    expect(shortGroup('agroup:1')).toBe('ag1');
    expect(shortGroup('cluster:3')).toBe('3');
    expect(shortGroup('standby')).toBe('standby');
    expect(shortGroup('edges')).toBe('edges');
  });

  it('writes the longest label that fits, down to nothing', () => {
    expect(fitLabel('vgroup:12', 128, 200, measure)).toBe('vgroup:12 (128)');
    expect(fitLabel('vgroup:12', 128, 60, measure)).toBe('vgroup:12');
    expect(fitLabel('vgroup:12', 128, 50, measure)).toBe('vg12');
    expect(fitLabel('cluster:3', 40, 40, measure)).toBe('3 (40)');
    expect(fitLabel('vgroup:12', 128, 20, measure)).toBe('');
    for (let w = 0; w < 120; w += 3) expect(measure(fitLabel('agroup:7', 64, w, measure))).toBeLessThanOrEqual(w);
  });
});
