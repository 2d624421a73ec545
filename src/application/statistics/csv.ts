import { dutchLabel } from '../../domain/code-titles.js';
import { type Cell, cbsYear, DIMENSIONS, type Dimension, KEY_OF } from '../../domain/statistics.js';
import { type CsvFormat, toCsv } from '../../lib/csv.js';
import type { CellStatus } from './open-data.js';
import type { RowStatus } from './statistics.js';

type Names = Map<string, string>;

/** The columns of one dimension: its code, and a label where the code is not self-explanatory. */
function dimensionColumns(d: Dimension): string[] {
  if (d === 'year') return ['year'];
  if (d === 'municipality') return ['municipality_code', 'municipality_name'];
  const snake = d === 'licenceStatus' ? 'licence_status' : d;
  return [snake, `${snake}_label`];
}

function dimensionValues(d: Dimension, c: Record<string, unknown>, names: Names): unknown[] {
  const v = c[KEY_OF[d]];
  if (d === 'year') return [v];
  if (d === 'municipality') return [v, names.get(String(v)) ?? ''];
  return [v, dutchLabel(String(v))];
}

/**
 * Grouped figures as CSV: grouped dimensions in canonical order (code and Dutch label), then the
 * figures, then the row's status as in the JSON (a 0 nobody reported is not a true 0).
 */
export function tableCsv(
  groupBy: readonly Dimension[],
  rows: (Cell & { status: string })[],
  names: Names,
  format: CsvFormat = 'csv',
): string {
  const dims = DIMENSIONS.filter((d) => groupBy.includes(d));
  const header = [
    ...dims.flatMap(dimensionColumns),
    'actions',
    'fine_amount_cents',
    'penalty_maximum_cents',
    'penalty_forfeited_cents',
    'status',
  ];
  const body = rows.map((r) => [
    ...dims.flatMap((d) => dimensionValues(d, r as unknown as Record<string, unknown>, names)),
    r.actions,
    r.fineAmountCents,
    r.penaltyMaximumCents,
    r.penaltyForfeitedCents,
    r.status,
  ]);
  return toCsv(header, body, format);
}

/** Open-data cells as CSV: value empty unless published, with its status. */
export function openDataCsv(
  groupBy: readonly Dimension[],
  cells: (Record<string, unknown> & { value: number | null; status: CellStatus })[],
  names: Names,
  format: CsvFormat = 'csv',
): string {
  const dims = DIMENSIONS.filter((d) => groupBy.includes(d));
  const header = [...dims.flatMap(dimensionColumns), 'actions', 'status'];
  return toCsv(
    header,
    cells.map((c) => [...dims.flatMap((d) => dimensionValues(d, c, names)), c.value, c.status]),
    format,
  );
}

/** CBS StatLine's ValueAttribute: why a value is what it is. */
export const VALUE_ATTRIBUTES = ['None', 'Confidential', 'NotReported'] as const;
export type ValueAttribute = (typeof VALUE_ATTRIBUTES)[number];

/** The ValueAttribute of a cell's status: a 0 nobody reported is NotReported, a withheld value Confidential. */
export const VALUE_ATTRIBUTE_OF: Record<CellStatus, ValueAttribute> = {
  reported: 'None',
  zero: 'None',
  nothing_to_report: 'None',
  suppressed: 'Confidential',
  not_reported: 'NotReported',
};

/** CBS-style codes for observations. */
export const OBSERVATION_DIMENSIONS: Record<Dimension, string> = {
  year: 'Perioden',
  municipality: 'RegioS',
  licenceStatus: 'Vergunningstatus',
  measure: 'Maatregel',
  ground: 'Grond',
  stage: 'Fase',
};

/** The measured quantities (CBS "Measure"/onderwerp) with their codes. */
export const OBSERVATION_TOPICS = [
  { code: 'Handhavingsmaatregelen_1', field: 'actions', title: 'Bestuurlijke handhavingsmaatregelen (aantal)', unit: 'aantal' },
  { code: 'OpgelegdeBoetes_2', field: 'fineAmountCents', title: 'Opgelegde bestuurlijke boetes (eurocent)', unit: 'eurocent' },
  { code: 'MaximaleDwangsommen_3', field: 'penaltyMaximumCents', title: 'Maximaal te verbeuren dwangsommen (eurocent)', unit: 'eurocent' },
  { code: 'VerbeurdeDwangsommen_4', field: 'penaltyForfeitedCents', title: 'Verbeurde dwangsommen (eurocent)', unit: 'eurocent' },
] as const;

export interface Observation {
  id: number;
  measure: string;
  valueAttribute: 'None' | 'NotReported';
  value: number | null;
  [dimension: string]: string | number | null;
}

/**
 * Long format: one row per cell and topic, dimensions as CBS-style codes (RegioS GM0363, Perioden
 * 2019JJ00). A 0 nobody reported (no counted actions, no attestation) is NotReported without a
 * value, as in the open data's observations; the exact figures have nothing withheld.
 */
export function observations(groupBy: readonly Dimension[], rows: (Cell & { status: RowStatus })[]): Observation[] {
  const dims = DIMENSIONS.filter((d) => groupBy.includes(d));
  const out: Observation[] = [];
  for (const r of rows) {
    const valueAttribute = VALUE_ATTRIBUTE_OF[r.status] as Observation['valueAttribute'];
    for (const t of OBSERVATION_TOPICS) {
      const value = valueAttribute === 'None' ? r[t.field] : null;
      const o: Observation = { id: out.length, measure: t.code, valueAttribute, value };
      for (const d of dims) {
        const v = r[KEY_OF[d]] as string | number;
        o[OBSERVATION_DIMENSIONS[d]] = d === 'year' ? cbsYear(v as number) : v;
      }
      out.push(o);
    }
  }
  return out;
}

export function observationsCsv(groupBy: readonly Dimension[], obs: Observation[], format: CsvFormat = 'csv'): string {
  const dims = DIMENSIONS.filter((d) => groupBy.includes(d)).map((d) => OBSERVATION_DIMENSIONS[d]);
  const header = ['Id', 'Measure', 'ValueAttribute', 'Value', ...dims];
  return toCsv(
    header,
    obs.map((o) => [o.id, o.measure, o.valueAttribute, o.value, ...dims.map((d) => o[d])]),
    format,
  );
}
