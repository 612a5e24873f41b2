/**
 * The protocol families, by the name a scenario gives in `protocol.family`: the one place in the
 * simulator that names them (docs/DESIGN.md "Protocol families"). Generic code asks here and
 * never imports a family's folder.
 */
import type { ProtocolModule } from '../contract/module.js';
import { TOP } from './top/module.js';

export const FAMILIES: Readonly<Record<string, ProtocolModule>> = {
  top: TOP as unknown as ProtocolModule,
};

/** The family names a scenario may give. */
export const FAMILY_NAMES = Object.keys(FAMILIES);

export function moduleOf(family: string): ProtocolModule {
  const m = FAMILIES[family];
  if (m === undefined) throw new Error(`protocol.family: expected one of ${FAMILY_NAMES.join(', ')}, got "${family}"`);
  return m;
}
