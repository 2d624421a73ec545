import { type AnyPgColumn, bigint, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/**
 * Statistics rollups: counted per year (of decision_date) × municipality × licence status ×
 * measure × stage, and the same with ground. Kept up to date by SQL triggers on
 * enforcement_actions in the same transaction as every write (migrations/*_statistics_triggers.sql);
 * deleted actions (tombstones) are not in them. Never written by application code.
 */
const cellColumns = {
  year: integer('year').notNull(),
  municipalityCode: text('municipality_code').notNull(),
  licenceStatus: text('licence_status').notNull(),
  measure: text('measure').notNull(),
  stage: text('stage').notNull(),
  actions: bigint('actions', { mode: 'number' }).notNull().default(0),
  fineAmountCents: bigint('fine_amount_cents', { mode: 'number' }).notNull().default(0),
  penaltyMaximumCents: bigint('penalty_maximum_cents', { mode: 'number' }).notNull().default(0),
  penaltyForfeitedCents: bigint('penalty_forfeited_cents', { mode: 'number' }).notNull().default(0),
};

/**
 * A table of cells per municipality, keyed by all five dimensions, and its twin with one row per
 * ground (an action with two grounds is in two rows there). `byMunicipality` adds the index that
 * reads a few municipalities over many years (an officer, the LPP ten) without a scan of every
 * municipality's cells.
 */
function cellTables<C extends string, G extends string>(names: { cells: C; groundCells: G }, byMunicipality: boolean) {
  const municipalityYear = (name: string, t: { municipalityCode: AnyPgColumn; year: AnyPgColumn }) =>
    byMunicipality ? [index(`${name}_municipality_year_idx`).on(t.municipalityCode, t.year)] : [];
  return {
    cells: pgTable(names.cells, cellColumns, (t) => [
      primaryKey({ name: `${names.cells}_pkey`, columns: [t.year, t.municipalityCode, t.licenceStatus, t.measure, t.stage] }),
      ...municipalityYear(names.cells, t),
    ]),
    groundCells: pgTable(names.groundCells, { ...cellColumns, ground: text('ground').notNull() }, (t) => [
      primaryKey({
        name: `${names.groundCells}_pkey`,
        columns: [t.year, t.municipalityCode, t.licenceStatus, t.measure, t.stage, t.ground],
      }),
      ...municipalityYear(names.groundCells, t),
    ]),
  };
}

const live = cellTables({ cells: 'statistics_action_cells', groundCells: 'statistics_action_ground_cells' }, true);
export const statisticsActionCells = live.cells;
export const statisticsActionGroundCells = live.groundCells;

/**
 * The same figures over all municipalities together (year × licence status × measure × stage),
 * for questions about the whole country: a few thousand rows whatever the number of actions.
 */
const { municipalityCode: _m, ...nationalColumns } = cellColumns;

export const statisticsNationalCells = pgTable('statistics_national_cells', nationalColumns, (t) => [
  primaryKey({ name: 'statistics_national_cells_pkey', columns: [t.year, t.licenceStatus, t.measure, t.stage] }),
]);

export const statisticsNationalGroundCells = pgTable(
  'statistics_national_ground_cells',
  { ...nationalColumns, ground: text('ground').notNull() },
  (t) => [primaryKey({ name: 'statistics_national_ground_cells_pkey', columns: [t.year, t.licenceStatus, t.measure, t.stage, t.ground] })],
);

/**
 * The counts of actions destroyed under the Archiefwet (retention): the same cells, kept apart from
 * the live rollups, which count the rows that exist. Statistics add them (the figures of past years do
 * not change by a destruction); a list's totalItems does not (the rows are gone). Written only by the
 * trigger of a destroying delete (migration 0020).
 */
const destroyed = cellTables({ cells: 'statistics_destroyed_cells', groundCells: 'statistics_destroyed_ground_cells' }, false);
export const statisticsDestroyedCells = destroyed.cells;
export const statisticsDestroyedGroundCells = destroyed.groundCells;
