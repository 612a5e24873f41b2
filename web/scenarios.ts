/// <reference types="vite/client" />
/**
 * The scenarios bundled with the page: every `scenarios/*.yaml` and `scenarios/bench/*.yaml`, as
 * text, by file name (`default.yaml`, `bench/top-mainnet-impl.yaml`).
 */
const top = import.meta.glob('../scenarios/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const bench = import.meta.glob('../scenarios/bench/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const BUNDLED: ReadonlyMap<string, string> = new Map(
  Object.entries({ ...top, ...bench })
    .map(([path, text]) => [path.replace(/^\.\.\/scenarios\//, ''), text] as [string, string])
    .sort(([a], [b]) => (a === 'default.yaml' ? -1 : b === 'default.yaml' ? 1 : a.localeCompare(b))),
);

/** The `description:` line of a bundled scenario (for the picker), without parsing it. */
export function describe(text: string): string {
  const m = /^description:\s*(.+)$/m.exec(text);
  return m ? m[1].replace(/^['"]|['"]$/g, '') : '';
}
