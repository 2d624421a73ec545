import { protectErrorValue, protectFormula } from '../lib/csv.js';
import { sanctionColumns } from './enforcement-actions.js';
import type { EnforcementAction, Establishment, Licence } from './records.js';

/**
 * The file format of imports and exports (docs/import-export.md): one flat row per record, the same
 * columns in both directions, so that an export imports again. Records refer to each other by the
 * municipality's own references (`externalReference`, `establishmentReference`), never by registry
 * ids. A record without an externalReference is exported with its registry id in that column, and
 * an import finds a record by its externalReference or, failing that, by that id.
 */
export const RECORD_TYPES = ['establishments', 'licences', 'enforcement-actions'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

export const COLUMNS = {
  establishments: [
    'externalReference',
    'municipalityCode',
    'name',
    'kind',
    'street',
    'houseNumber',
    'houseNumberAddition',
    'postalCode',
    'city',
    'kvkNumber',
    'bagId',
  ],
  licences: ['externalReference', 'establishmentReference', 'licenceNumber', 'validFrom', 'validUntil', 'statusHistory'],
  'enforcement-actions': [
    'externalReference',
    'establishmentReference',
    'measure',
    'grounds',
    'stage',
    'decisionDate',
    'fineAmountCents',
    'penaltyAmountCents',
    'penaltyUnit',
    'penaltyMaximumCents',
    'penaltyComplianceDeadline',
    'penaltyForfeitedCents',
    'closureStartDate',
    'closureEndDate',
    'legalBasis',
    'caseReference',
    'zaakUrl',
    'besluitUrl',
  ],
} as const satisfies Record<RecordType, readonly string[]>;

/**
 * Columns a file may leave out of its header (an NDJSON line, out of its keys): a record then keeps what
 * it holds there. An action's ZGW links came later than the format; files written before them import as
 * they did. Where the column is there, an empty cell clears the value, as in every other column.
 */
export const KEEP_IF_ABSENT: Record<RecordType, readonly string[]> = {
  establishments: [],
  licences: [],
  'enforcement-actions': ['zaakUrl', 'besluitUrl'],
};

/** Columns whose cells must hold a value; the others may be empty (every other column must be in a file's header). */
export const REQUIRED_COLUMNS: Record<RecordType, readonly string[]> = {
  establishments: ['externalReference', 'name', 'kind', 'street', 'houseNumber', 'postalCode', 'city'],
  licences: ['externalReference', 'establishmentReference', 'licenceNumber', 'validFrom', 'statusHistory'],
  'enforcement-actions': ['externalReference', 'establishmentReference', 'measure', 'grounds', 'stage', 'decisionDate'],
};

/** Text columns: free text a spreadsheet could take for a formula (see `protectFormula`). */
export const TEXT_COLUMNS = new Set(['name', 'street', 'city', 'legalBasis']);

/** The separator of list cells in CSV: `grounds` (`hygiene|other`) and `statusHistory` (`granted:2016-01-01|revoked:2018-05-01`). */
export const LIST_SEPARATOR = '|';

/** The cell values of one row: strings, numbers, lists (NDJSON keeps lists as arrays), or null for empty. */
export type Cell = string | number | null | readonly string[] | readonly { status: string; effectiveDate: string }[];
export type FlatRow = Record<string, Cell>;

export const statusHistoryCell = (h: readonly { status: string; effectiveDate: string }[]) =>
  h.map((c) => `${c.status}:${c.effectiveDate}`).join(LIST_SEPARATOR);

/**
 * A record's row: the columns of its type, in their order, taken from its own fields and from
 * `flat` (nested values flattened, the reference to its establishment). A record without an
 * externalReference has its registry id in that column.
 */
function rowOf(type: RecordType, record: { id: string; externalReference: string | null }, flat: object): FlatRow {
  const values: Record<string, unknown> = { ...record, ...flat, externalReference: record.externalReference ?? record.id };
  return Object.fromEntries(COLUMNS[type].map((c) => [c, values[c] as Cell]));
}

export const establishmentRow = (e: Establishment): FlatRow => rowOf('establishments', e, e.address);

export const licenceRow = (l: Licence, establishmentReference: string): FlatRow => rowOf('licences', l, { establishmentReference });

export const enforcementActionRow = (a: EnforcementAction, establishmentReference: string): FlatRow =>
  rowOf('enforcement-actions', a, { ...sanctionColumns(a), establishmentReference });

/** One row, flattened to CSV cells (strings; lists joined with `|`; text protected against formulas, other cells against reading as an error value). */
export function csvCells(type: RecordType, row: FlatRow): string[] {
  return COLUMNS[type].map((c) => {
    const v = row[c];
    if (v === null || v === undefined) return '';
    if (Array.isArray(v)) {
      return c === 'statusHistory' ? statusHistoryCell(v as { status: string; effectiveDate: string }[]) : v.join(LIST_SEPARATOR);
    }
    const s = String(v);
    return TEXT_COLUMNS.has(c) ? protectFormula(s) : protectErrorValue(s);
  });
}

/** The column of a file that holds an input field (an invalidParams name such as `penalty.maximumCents`). */
export function columnOf(type: RecordType, name: string): string | null {
  const [first, second] = name.split('.');
  if (!first) return null;
  if (first === 'address' && second) return second;
  if (first === 'establishmentId') return 'establishmentReference';
  if ((first === 'fine' || first === 'penalty' || first === 'closure') && second && !/^\d+$/.test(second)) {
    return `${first}${second.charAt(0).toUpperCase()}${second.slice(1)}`;
  }
  if (first === 'fine') return 'fineAmountCents';
  if (first === 'penalty') return 'penaltyAmountCents';
  if (first === 'closure') return 'closureStartDate';
  return (COLUMNS[type] as readonly string[]).includes(first) ? first : null;
}

/** One thing wrong with one record of a file: where (line, column), which rule (code), in words. */
export interface ImportProblem {
  line: number;
  column: string | null;
  code: string;
  reason: string;
}

/** A record an import updated (or, in a dry run, would update): where in the file, and which of its columns change. */
export interface ImportChange {
  line: number;
  externalReference: string;
  columns: string[];
}

/** The example row of each template (/v1/imports/templates/{recordType}.csv): a valid record, as a file has it. */
export const TEMPLATE_EXAMPLES: Record<RecordType, FlatRow> = {
  establishments: {
    externalReference: 'INR-2019-0042',
    municipalityCode: 'GM0363',
    name: 'Club Rood',
    kind: 'club',
    street: 'Oudezijds Achterburgwal',
    houseNumber: 12,
    houseNumberAddition: 'A',
    postalCode: '1012DK',
    city: 'Amsterdam',
    kvkNumber: '12345678',
    bagId: null,
  },
  licences: {
    externalReference: 'EV-2016-001',
    establishmentReference: 'INR-2019-0042',
    licenceNumber: 'EV-2016-001',
    validFrom: '2016-01-01',
    validUntil: '2020-12-31',
    statusHistory: [
      { status: 'granted', effectiveDate: '2016-01-01' },
      { status: 'suspended', effectiveDate: '2018-03-01' },
      { status: 'granted', effectiveDate: '2018-06-01' },
    ],
  },
  'enforcement-actions': {
    externalReference: 'HH-2019-0007',
    establishmentReference: 'INR-2019-0042',
    measure: 'penalty_order',
    grounds: ['hygiene', 'no_manager_present'],
    stage: 'decided',
    decisionDate: '2019-05-01',
    fineAmountCents: null,
    penaltyAmountCents: 50000,
    penaltyUnit: 'per_day',
    penaltyMaximumCents: 1500000,
    penaltyComplianceDeadline: '2019-06-01',
    penaltyForfeitedCents: 0,
    closureStartDate: null,
    closureEndDate: null,
    legalBasis: 'APV art. 3:4; Awb 5:32',
    caseReference: 'Z-2019-0815',
  },
};
