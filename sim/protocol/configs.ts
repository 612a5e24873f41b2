/**
 * Each family's part of the scenario format (sim/contract/config.ts), by the name a scenario gives
 * in `protocol.family`. The scenario layer reads this to parse a file without loading any
 * family's protocol code; sim/protocol/registry.ts maps the same names to the modules, whose
 * `config` is the same object (a test checks both).
 */
import type { FamilyConfig } from '../contract/config.js';
import type { FamilyName } from './families.js';
import { TOP_CONFIG } from './top/config.js';
import { BYSTACK_CONFIG } from './bystack/config.js';

export const CONFIGS: Readonly<Record<FamilyName, FamilyConfig>> = {
  top: TOP_CONFIG,
  bystack: BYSTACK_CONFIG,
};
