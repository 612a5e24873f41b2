/**
 * Writes scenarios/scenario.schema.json, the JSON Schema of the scenario file format, generated
 * from the same zod schema the loader uses (input side: what a file may contain, with defaults in
 * the file's own units). Editors use it for completion and checking:
 *   # yaml-language-server: $schema=./scenario.schema.json
 *
 * Run with `npm run schema`. A test checks that the committed file equals `scenarioJsonSchemaText()`.
 */
import { z } from 'zod';
import { scenarioFileSchema, SCHEMA_VERSION } from './schema.js';

/** Where the generated schema lives, relative to the repository root. */
export const SCHEMA_FILE = 'scenarios/scenario.schema.json';

/** The JSON Schema of the scenario file format, as an object. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(scenarioFileSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: 'urn:topsim:scenario-schema:1',
    title: `topsim scenario (schema_version ${SCHEMA_VERSION})`,
    description:
      'A topsim scenario file (YAML or JSON). Durations are strings with units ("250us", "50ms", "1.5s", "2m", "1h"), ' +
      'bandwidths strings like "100Mbps". Node names: v<i> validators, a<i> auditors, e<i> edges; ' +
      'selectors may also be validators, auditors, edges, all. Generated from sim/scenario/schema.ts by `npm run schema`; do not edit.',
    ...rest,
  };
}

/** The file's exact text: two-space JSON and a final newline. */
export function scenarioJsonSchemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

async function main(): Promise<void> {
  const fs = process.getBuiltinModule('node:fs');
  const url = new URL(`../../${SCHEMA_FILE}`, import.meta.url);
  fs.writeFileSync(url, scenarioJsonSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}

// Run only as a script, not when a test imports the generator.
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main();
}
