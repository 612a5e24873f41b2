import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { SCHEMA_FILE, scenarioJsonSchema, scenarioJsonSchemaText } from './gen-schema.js';

describe('JSON Schema', () => {
  // The committed scenarios/scenario.schema.json is exactly what the generator writes now, so it
  // cannot go stale: after changing the schema, run `npm run schema`.
  test('committed file is up to date', () => {
    const committed = readFileSync(new URL(`../../${SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  // The schema describes the input side: durations as strings with defaults in file units,
  // strict objects, and `name` as the only required key.
  test('describes the file format', () => {
    const s = scenarioJsonSchema() as {
      $id: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { default?: unknown; type?: string }>;
    };
    expect(s.$id).toBeTruthy();
    expect(s.required).toEqual(['name']);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties['duration']).toMatchObject({ default: '60s', type: 'string' });
    expect(s.properties['seed']).toMatchObject({ default: 1, type: 'integer' });
  });
});
