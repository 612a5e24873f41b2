/** The toy family on the page: nodes grouped by role, no leaders named, no protocol rows. */
import type { ViewAdapter } from '../../web/families/adapter.js';

export const TOY_VIEWS: ViewAdapter = {
  groupOrder: ['validators', 'edges'],
  groups: (b) => b.nodes.map((x) => `${x.role}s`),
  partitionSides: () => [],
  leaderOf: () => null,
  inspect: () => ({ stake: null, tables: [0], replicas: [] }),
};
