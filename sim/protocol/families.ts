/**
 * The names a scenario's `protocol.family` may take. The schema reads this list without loading
 * any family's code; sim/protocol/registry.ts maps each name to its module (a test checks the two
 * agree).
 */
export const FAMILY_NAMES = ['top', 'bystack'] as const;

export type FamilyName = (typeof FAMILY_NAMES)[number];

/** The family of a scenario that names none (every file written before families existed). */
export const DEFAULT_FAMILY: FamilyName = 'top';
