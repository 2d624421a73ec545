import { type Title, type TitledCode, TOTAL_CODE, TOTAL_TITLE, titleOf } from '../../domain/code-titles.js';
import { PROGRAMMES } from '../../domain/codes.js';
import {
  cbsYear,
  DEFAULT_STAGES,
  DIMENSIONS,
  type Dimension,
  GROUNDS,
  KEY_OF,
  LICENCE_STATUSES,
  MEASURES,
  STAGES,
} from '../../domain/statistics.js';
import { statisticsRepository as repo } from '../../infrastructure/repositories/statistics.js';
import { type CsvFormat, toCsv } from '../../lib/csv.js';
import { yearInNetherlands } from '../../lib/dates.js';
import type { RequestContext } from '../context.js';
import type { Reader } from '../queries/read.js';
import { OBSERVATION_DIMENSIONS, OBSERVATION_TOPICS, VALUE_ATTRIBUTE_OF, VALUE_ATTRIBUTES, type ValueAttribute } from './csv.js';
import type { OpenDataRelease, PublishedValue } from './open-data.js';

/** One code of a dimension: the CBS-style identifier, the value the API's own parameters use, titles. */
export interface DimensionCode {
  identifier: string;
  value: string | number | null;
  title: Title;
  programmes?: string[];
  firstYear?: number | null;
  lastYear?: number | null;
}

export interface DimensionMetadata {
  identifier: string;
  groupBy: Dimension;
  kind: 'TimeDimension' | 'GeoDimension' | 'Dimension';
  title: Title;
  description: Title;
  codes: DimensionCode[];
}

export interface MeasureMetadata {
  identifier: string;
  field: string;
  title: Title;
  unit: 'count' | 'cent';
  unitTitle: Title;
  decimals: 0;
  euro: { factor: number; decimals: number } | null;
}

const VALUE_ATTRIBUTE_TITLES: Record<ValueAttribute, { title: Title; symbol: string }> = {
  None: { title: { nl: 'waarde', en: 'value' }, symbol: '' },
  Confidential: {
    title: { nl: 'geheim (onderdrukt om onthulling te voorkomen)', en: 'confidential (suppressed to prevent disclosure)' },
    symbol: 'x',
  },
  NotReported: {
    title: {
      nl: 'niet gerapporteerd (geen getelde maatregelen en geen verklaring van volledigheid)',
      en: 'not reported (no counted actions and no reporting attestation)',
    },
    symbol: '.',
  },
};

const kindOf = (d: Dimension): DimensionMetadata['kind'] =>
  d === 'year' ? 'TimeDimension' : d === 'municipality' ? 'GeoDimension' : 'Dimension';

const DIMENSION_DESCRIPTIONS: Record<Dimension, Title> = {
  year: { nl: 'Kalenderjaar van de besluitdatum.', en: 'Calendar year of the decision date.' },
  municipality: { nl: 'Gemeente (CBS-gemeentecode) van de inrichting.', en: 'Municipality (CBS code) of the establishment.' },
  licenceStatus: {
    nl: 'Exploitatievergunning van kracht op de besluitdatum (niet de status van vandaag).',
    en: 'Operating licence in force on the decision date (not today’s status).',
  },
  measure: { nl: 'Soort bestuurlijke handhavingsmaatregel.', en: 'Kind of administrative enforcement action.' },
  ground: {
    nl: 'Grond van de maatregel; een maatregel met twee gronden telt bij elk één keer.',
    en: 'Ground of the action; an action with two grounds counts once under each.',
  },
  stage: { nl: 'Fase van de maatregel.', en: 'Stage of the action.' },
};

const MEASURE_TEXT: Record<(typeof OBSERVATION_TOPICS)[number]['field'], Title> = {
  actions: { nl: 'Bestuurlijke handhavingsmaatregelen', en: 'Administrative enforcement actions' },
  fineAmountCents: { nl: 'Opgelegde bestuurlijke boetes', en: 'Administrative fines imposed' },
  penaltyMaximumCents: { nl: 'Maximaal te verbeuren dwangsommen', en: 'Maximum of the penalty orders' },
  penaltyForfeitedCents: { nl: 'Verbeurde dwangsommen', en: 'Penalties forfeited' },
};

/** The units of the measures: a count, or an amount in euro cents (with how to show it in euros). */
const UNITS: Record<MeasureMetadata['unit'], Pick<MeasureMetadata, 'unitTitle' | 'decimals' | 'euro'>> = {
  count: { unitTitle: { nl: 'aantal', en: 'count' }, decimals: 0, euro: null },
  cent: { unitTitle: { nl: 'eurocent', en: 'euro cent' }, decimals: 0, euro: { factor: 0.01, decimals: 2 } },
};

/** The stages counted by default (or the others), by their titles in one language: `a, b, c and d`. */
function stagesIn(language: 'nl' | 'en', counted: boolean): string {
  const titles = STAGES.filter((s) => DEFAULT_STAGES.includes(s) === counted).map((s) => titleOf(s)[language]);
  const and = language === 'nl' ? 'en' : 'and';
  return titles.length > 1 ? `${titles.slice(0, -1).join(', ')} ${and} ${titles.at(-1)}` : (titles[0] ?? '');
}

/** The counting rule as data (the default; every answer states the rule it applied in countingRule). */
export const COUNTING_RULE_DATA = {
  countedStages: [...DEFAULT_STAGES],
  neverCounted: ['deleted'],
  period: 'year of decisionDate',
  licenceStatus: 'licence status on decisionDate',
  zeroCells: 'every municipality and year in scope appears (a municipality in the years it exists); none counts as 0',
  groundRows: 'an action counts once under each of its grounds, with its full amounts: rows are not added up over grounds',
  averageDenominator:
    'municipalities in scope × the period’s length in years (periodYears: the number of calendar years for whole years, whole months ÷ 12 for whole months, else days ÷ 365.25), each municipality for the part of the period it exists, including municipalities without actions; the summary gives it as divisor.averagePerMunicipalityPerYear',
  finestPeriodForAnalysts: 'month',
  description: {
    nl: `Een maatregel telt in het kalenderjaar van de besluitdatum. Standaard tellen de fasen ${stagesIn('nl', true)}; de andere fasen (${stagesIn('nl', false)}) en verwijderde maatregelen tellen niet. Vergund of onvergund is de vergunningstatus op de besluitdatum. Elke gemeente en elk jaar in de selectie telt mee, ook met 0, een gemeente alleen in de jaren dat zij bestaat (na een herindeling niet meer, ervoor nog niet). Het gemiddelde per gemeente per jaar deelt door het aantal gemeenten maal de lengte van de periode in jaren (hele kalenderjaren, hele maanden gedeeld door 12, anders dagen gedeeld door 365,25), minus de tijd dat een gemeente niet bestond.`,
    en: `An action counts in the calendar year of its decision date. By default the stages ${stagesIn('en', true)} count; the other stages (${stagesIn('en', false)}) and deleted actions do not. Licensed or unlicensed is the licence status on the decision date. Every municipality and year in scope counts, with 0 if it has no actions, a municipality only in the years it exists (not after a merger ended it, not before one formed it). The average per municipality per year divides by the municipalities times the period’s length in years (whole calendar years, whole months ÷ 12, else days ÷ 365.25), less the time in which one did not exist.`,
  },
};

const codesOf = (codes: readonly TitledCode[]): DimensionCode[] => [
  ...codes.map((c) => ({ identifier: c, value: c, title: titleOf(c) })),
  { identifier: TOTAL_CODE, value: null, title: TOTAL_TITLE },
];

/**
 * The metadata of the statistics, shaped like a CBS StatLine (OData v4) table's: Dimensions with
 * their codes (Dutch and English titles), MeasureCodes with their units, the ValueAttribute codes,
 * and the counting rule as data. Municipalities come from the database. The periods run over the
 * years with data now (an analyst's default period, which the dashboard offers) and every year of the
 * current open-data release if it is out (`released`: its domains.year), which its observations use:
 * a public client finds each of their period codes here, also after a deletion made since the release.
 */
export async function statisticsMetadata(
  read: Reader,
  ctx: RequestContext,
  openData: { published(): Promise<Pick<OpenDataRelease, 'domains'> | null> },
) {
  // The day's release if it is out (its observations' periods); never computed for the metadata's sake.
  const released = (await openData.published())?.domains.year ?? [];
  const { municipalities, live } = await read.list(ctx, async (tx) => {
    const all = await repo.municipalities(tx);
    const data = await repo.dataYears(
      tx,
      all.map((m) => m.code),
      true,
    );
    return { municipalities: all, live: data };
  });
  // This year only when neither has a year: a release's years alone are not stretched to it.
  const ends = live ? [live.from, live.to] : released.length ? [] : [yearInNetherlands()];
  const from = Math.min(...ends, ...released);
  const to = Math.max(...ends, ...released);
  const periods: DimensionCode[] = Array.from({ length: to - from + 1 }, (_, i) => from + i).map((y) => ({
    identifier: cbsYear(y),
    value: y,
    title: { nl: String(y), en: String(y) },
  }));
  const codes: Record<Dimension, DimensionCode[]> = {
    year: [...periods, { identifier: TOTAL_CODE, value: null, title: TOTAL_TITLE }],
    municipality: [
      ...municipalities.map((m) => ({
        identifier: m.code,
        value: m.code,
        title: { nl: m.name, en: m.name },
        programmes: m.programmes,
        firstYear: m.firstYear,
        lastYear: m.lastYear,
      })),
      { identifier: TOTAL_CODE, value: null, title: { nl: 'totaal (gemeenten in de selectie)', en: 'total (municipalities in scope)' } },
    ],
    licenceStatus: codesOf(LICENCE_STATUSES),
    measure: codesOf(MEASURES),
    ground: codesOf(GROUNDS),
    stage: codesOf(STAGES),
  };
  const dimensions: DimensionMetadata[] = DIMENSIONS.map((d) => ({
    identifier: OBSERVATION_DIMENSIONS[d],
    groupBy: d,
    kind: kindOf(d),
    title: titleOf(d),
    description: DIMENSION_DESCRIPTIONS[d],
    codes: codes[d],
  }));
  const measureCodes: MeasureMetadata[] = OBSERVATION_TOPICS.map((t) => {
    const unit = t.field === 'actions' ? 'count' : 'cent';
    return { identifier: t.code, field: t.field, title: MEASURE_TEXT[t.field], unit, ...UNITS[unit] };
  });
  return {
    title: { nl: 'Bestuurlijke handhaving seksinrichtingen', en: 'Administrative enforcement against sex establishments' },
    dimensions,
    measureCodes,
    valueAttributes: VALUE_ATTRIBUTES.map((v) => ({ identifier: v, ...VALUE_ATTRIBUTE_TITLES[v] })),
    programmes: PROGRAMMES.map((p) => ({ identifier: p, title: titleOf(p) })),
    countingRule: COUNTING_RULE_DATA,
  };
}

/** The open-data table as it is published (cells, margins, total): only what open-data.ts produces is read. */
interface PublishedTable {
  countingRule: { groupBy: Dimension[] };
  cells: (Record<string, unknown> & PublishedValue)[];
  margins: (Record<string, unknown> & PublishedValue & { dimension: Dimension })[];
  total: PublishedValue;
}

export interface OpenObservation {
  id: number;
  measure: string;
  valueAttribute: ValueAttribute;
  value: number | null;
  [dimension: string]: string | number | null;
}

/**
 * The open-data table in CBS long format: one observation per published cell, margin and total. A
 * dimension summed over carries the total code T001, a withheld value is null with ValueAttribute
 * Confidential, a 0 nobody reported (no counted actions, no attestation) NotReported.
 */
export function openObservations(table: PublishedTable): OpenObservation[] {
  const dims = DIMENSIONS.filter((d) => table.countingRule.groupBy.includes(d));
  const out: OpenObservation[] = [];
  const push = (keys: Record<string, unknown>, v: PublishedValue, summedOver: (d: Dimension) => boolean) => {
    const o: OpenObservation = {
      id: out.length,
      measure: 'Handhavingsmaatregelen_1',
      valueAttribute: VALUE_ATTRIBUTE_OF[v.status],
      value: v.value,
    };
    for (const d of dims) {
      const raw = keys[KEY_OF[d]];
      o[OBSERVATION_DIMENSIONS[d]] = summedOver(d) || raw === undefined ? TOTAL_CODE : d === 'year' ? cbsYear(raw as number) : String(raw);
    }
    out.push(o);
  };
  for (const c of table.cells) push(c, c, () => false);
  for (const m of table.margins) push(m, m, (d) => d !== m.dimension);
  if (dims.length > 0) push({}, table.total, () => true);
  return out;
}

export function openObservationsCsv(groupBy: readonly Dimension[], obs: OpenObservation[], format: CsvFormat = 'csv'): string {
  const dims = DIMENSIONS.filter((d) => groupBy.includes(d)).map((d) => OBSERVATION_DIMENSIONS[d]);
  return toCsv(
    ['Id', 'Measure', 'ValueAttribute', 'Value', ...dims],
    obs.map((o) => [o.id, o.measure, o.valueAttribute, o.value, ...dims.map((d) => o[d])]),
    format,
  );
}
