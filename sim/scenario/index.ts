// The scenario module's public entry point: re-exports only.
export type * from './types.js';
export { ScenarioError, formatPath, type ScenarioIssue } from './errors.js';
export { applyOverrides, loadScenario, parseScenario, parseScenarioText, type ScenarioOverrides } from './load.js';
export { SCHEMA_VERSION, scenarioFileSchema, scenarioToFile, type ScenarioFile } from './schema.js';
export { formatBandwidth, formatDuration, parseBandwidth, parseDuration } from './units.js';
