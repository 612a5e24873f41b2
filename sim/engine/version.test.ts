import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIM_VERSION } from './version.js';

it('SIM_VERSION matches package.json, so summaries name the version that made them', () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
  expect(SIM_VERSION).toBe(pkg.version);
});
