/**
 * The protocol families, by the name a scenario gives in `protocol.family`: the one place in the
 * simulator that names them (docs/DESIGN.md "Protocol families"). Generic code asks here and
 * never imports a family's folder.
 */
import type { ProtocolModule } from '../contract/module.js';
import { FAMILY_NAMES, type FamilyName } from './families.js';
import { TOP } from './top/module.js';
import { BYSTACK } from './bystack/module.js';

export { FAMILY_NAMES };

export const FAMILIES: Readonly<Record<FamilyName, ProtocolModule>> = {
  top: TOP as ProtocolModule,
  bystack: BYSTACK as unknown as ProtocolModule,
};

export function moduleOf(family: string): ProtocolModule {
  const m = (FAMILIES as Readonly<Record<string, ProtocolModule>>)[family];
  if (m === undefined) throw new Error(`protocol.family: expected one of ${FAMILY_NAMES.join(', ')}, got "${family}"`);
  return m;
}
