/**
 * The shape of a statistics answer, shared by the rollup queries (repositories/statistics.ts) and the
 * domain's rules on figures (domain/statistics.ts). It imports nothing, so the domain can take these
 * without loading anything of the database.
 */

/** The dimensions the rollups keep and a question can group by, in the canonical (column) order. */
export const DIMENSIONS = ['year', 'municipality', 'licenceStatus', 'measure', 'ground', 'stage'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** One group of an answer: the dimension values it is grouped by and what it holds. */
export interface Cell {
  year?: number;
  municipalityCode?: string;
  licenceStatus?: string;
  measure?: string;
  ground?: string;
  stage?: string;
  actions: number;
  fineAmountCents: number;
  penaltyMaximumCents: number;
  penaltyForfeitedCents: number;
}

/** The field of a Cell that holds a dimension's value. */
export const KEY_OF: Record<Dimension, keyof Cell> = {
  year: 'year',
  municipality: 'municipalityCode',
  licenceStatus: 'licenceStatus',
  measure: 'measure',
  ground: 'ground',
  stage: 'stage',
};

/** The column that holds a dimension's value in the rollups and the actions: its Cell field in snake case. */
export const columnOf = (d: Dimension): string => KEY_OF[d].replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
