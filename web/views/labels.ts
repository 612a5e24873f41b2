/**
 * Labels that fit their box: with many groups on screen (thousands of nodes in dozens of cells) a
 * cell is narrower than `vgroup:12 (128)`, and labels written in full run into their neighbours.
 */

/** A group selector's short form: `vgroup:12` → `vg12`, `agroup:1` → `ag1`, `region:us-east-1` → `us-east-1`. */
export function shortGroup(key: string): string {
  const g = /^([a-z])[a-z]*group:(\d+)$/.exec(key);
  if (g) return `${g[1]}g${g[2]}`;
  const c = /^[a-z]+:(.+)$/.exec(key);
  return c ? c[1] : key;
}

/**
 * The longest of a group's labels that fits `width` as `measure` measures text: the key with its
 * node count, the key, its short form with the count, the short form, or nothing.
 */
export function fitLabel(key: string, count: number, width: number, measure: (text: string) => number): string {
  const short = shortGroup(key);
  for (const text of [`${key} (${count})`, key, `${short} (${count})`, short]) if (measure(text) <= width) return text;
  return '';
}
