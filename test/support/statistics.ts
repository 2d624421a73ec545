import { GROUNDS, LICENCE_STATUSES, MEASURES, STAGES } from '../../src/domain/codes.js';

/** Independent computations for the statistics tests: written from the counting rule, not from the service. */

export const ALL_DIMENSIONS = ['year', 'municipality', 'licenceStatus', 'measure', 'ground', 'stage'] as const;
export type Dim = (typeof ALL_DIMENSIONS)[number];
// The code lists are the contract's own (a new measure or ground is then generated and checked too);
// what stays independent of the service is the counting below.
export const LICENCE_STATUS_VALUES: string[] = [...LICENCE_STATUSES];
export const MEASURE_VALUES: string[] = [...MEASURES];
export const GROUND_VALUES: string[] = [...GROUNDS];
export const STAGE_VALUES: string[] = [...STAGES];

export interface RawAction {
  municipality_code: string;
  licence_status: string;
  measure: string;
  grounds: string[];
  stage: string;
  decision_date: string;
  fine_amount_cents: string | number | null;
  penalty_maximum_cents: string | number | null;
  penalty_forfeited_cents: string | number | null;
  deleted_at: unknown;
}

export interface ExpectedRow {
  key: Record<string, string | number>;
  actions: number;
  fineAmountCents: number;
  penaltyMaximumCents: number;
  penaltyForfeitedCents: number;
}

const FIELD: Record<Dim, string> = {
  year: 'year',
  municipality: 'municipalityCode',
  licenceStatus: 'licenceStatus',
  measure: 'measure',
  ground: 'ground',
  stage: 'stage',
};

/** Expected grouped figures, zero cells included, from the raw rows of enforcement_actions. */
export function expectedTable(
  raw: RawAction[],
  o: { groupBy: Dim[]; from: string; to: string; municipalities: string[]; stages: string[] },
): ExpectedRow[] {
  const years: number[] = [];
  for (let y = Number(o.from.slice(0, 4)); y <= Number(o.to.slice(0, 4)); y++) years.push(y);
  const domain: Record<Dim, (string | number)[]> = {
    year: years,
    municipality: [...o.municipalities].sort(),
    licenceStatus: LICENCE_STATUS_VALUES,
    measure: MEASURE_VALUES,
    ground: GROUND_VALUES,
    stage: STAGE_VALUES.filter((s) => o.stages.includes(s)),
  };
  const dims = ALL_DIMENSIONS.filter((d) => o.groupBy.includes(d));
  const cells = new Map<string, ExpectedRow>();
  let combos: Record<string, string | number>[] = [{}];
  for (const d of dims) combos = combos.flatMap((c) => domain[d].map((v) => ({ ...c, [FIELD[d]]: v })));
  const keyOf = (k: Record<string, string | number>) => JSON.stringify(dims.map((d) => k[FIELD[d]]));
  for (const k of combos) cells.set(keyOf(k), { key: k, actions: 0, fineAmountCents: 0, penaltyMaximumCents: 0, penaltyForfeitedCents: 0 });
  for (const a of raw) {
    const date = String(a.decision_date).slice(0, 10);
    if (
      a.deleted_at !== null ||
      !o.stages.includes(a.stage) ||
      date < o.from ||
      date > o.to ||
      !o.municipalities.includes(a.municipality_code)
    )
      continue;
    const grounds = dims.includes('ground') ? [...new Set(a.grounds)] : [null];
    for (const g of grounds) {
      const values: Record<Dim, string | number | null> = {
        year: Number(date.slice(0, 4)),
        municipality: a.municipality_code,
        licenceStatus: a.licence_status,
        measure: a.measure,
        ground: g,
        stage: a.stage,
      };
      const k: Record<string, string | number> = {};
      for (const d of dims) k[FIELD[d]] = values[d] as string | number;
      const cell = cells.get(keyOf(k));
      if (!cell) throw new Error(`no cell for ${keyOf(k)}`);
      cell.actions += 1;
      cell.fineAmountCents += Number(a.fine_amount_cents ?? 0);
      cell.penaltyMaximumCents += Number(a.penalty_maximum_cents ?? 0);
      cell.penaltyForfeitedCents += Number(a.penalty_forfeited_cents ?? 0);
    }
  }
  return [...cells.values()];
}

/** The API's items reduced to what expectedTable gives. */
export function comparable(items: Record<string, unknown>[], groupBy: Dim[]): ExpectedRow[] {
  return items.map((i) => {
    const key: Record<string, string | number> = {};
    for (const d of ALL_DIMENSIONS) if (groupBy.includes(d)) key[FIELD[d]] = i[FIELD[d]] as string | number;
    return {
      key,
      actions: i.actions as number,
      fineAmountCents: i.fineAmountCents as number,
      penaltyMaximumCents: i.penaltyMaximumCents as number,
      penaltyForfeitedCents: i.penaltyForfeitedCents as number,
    };
  });
}

/** An RFC 4180 parser (quoted fields, doubled quotes, CRLF), strict about line ends. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r') throw new Error(`bare line break at ${i}`);
    else field += ch;
  }
  if (field !== '' || row.length) throw new Error('the last record does not end in CRLF');
  return rows;
}

/**
 * A statistics answer with its read time (`countingRule.asOf`, a timestamp in every answer) set aside,
 * so two answers can be compared figure by figure; an answer without a timestamp there stays as it is.
 */
export function withoutAsOf<T extends { countingRule?: unknown }>(answer: T): T {
  const rule = answer.countingRule as Record<string, unknown> | undefined;
  if (typeof rule?.asOf !== 'string' || Number.isNaN(Date.parse(rule.asOf))) return answer;
  return { ...answer, countingRule: { ...rule, asOf: '(read time)' } };
}
