/** The page adapter of each protocol family, by `protocol.family`. */
import type { ViewAdapter } from './adapter.js';
import { TOP_VIEWS } from './top.js';

const VIEWS: Readonly<Record<string, ViewAdapter>> = { top: TOP_VIEWS };

export function viewsOf(family: string): ViewAdapter {
  const v = VIEWS[family];
  if (v === undefined) throw new Error(`the page has no views for protocol family "${family}"`);
  return v;
}
