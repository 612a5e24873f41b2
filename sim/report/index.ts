// Re-exports of the pure report builders (they run in Node and in the browser).
// The file writer is Node-only and not re-exported here: import it from './write.js'.
export * from '../metrics/types.js';
export { formatSummaryTable } from './table.js';
export { TIMESERIES_COLUMNS, timeseriesCsv, summaryJson } from './csv.js';
export { reportHtml, escapeHtml, HTML_NODES_MAX, HTML_VIOLATIONS_MAX } from './html.js';
export { createProgress, progressLine } from './progress.js';
export type { Progress, ProgressOptions, ProgressStream } from './progress.js';
