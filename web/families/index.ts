/**
 * The families' own panels on the page, by family name. A panel draws the family's story of the
 * run (ViewAdapter.story, computed in the simulation worker and sent with each frame) in place of
 * the generic chains view; a family without one keeps the generic view (TOP's tables).
 */
import { BystackPanel } from './bystack.js';

export interface FamilyPanel {
  /** The heading of the section the panel fills. */
  readonly title: string;
  /** The story of the newest frame (plain data, the family's own shape). */
  update(story: unknown): void;
  draw(): void;
}

export const FAMILY_PANELS: Readonly<Record<string, (host: HTMLElement) => FamilyPanel>> = {
  bystack: (host) => new BystackPanel(host),
};
