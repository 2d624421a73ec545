import { z } from 'zod';
import { DIMENSIONS, OPEN_DATA_DIMENSIONS, periodIssues } from '../../domain/statistics.js';
import { codeList, dateInput, IsoDate, MunicipalityCode, Timestamp, yearInput } from './common.js';
import { Ground, LicenceStatusAtDecision, Measure, Stage } from './enforcement-actions.js';
import { Programme } from './municipalities.js';
import { alongsideSchemaIssues } from './rules.js';

/**
 * A query value that may be repeated (`?a=x&a=y`) or a comma list (`?a=x,y`), validated per item.
 * Documented as an array of strings (form style, explode).
 */
const listOf = <T extends z.ZodType>(item: T, description: string) =>
  z
    .preprocess(
      (v) =>
        v === undefined
          ? undefined
          : (Array.isArray(v) ? v : [v])
              .flatMap((s) => String(s).split(','))
              .map((s) => s.trim())
              .filter((s) => s !== ''),
      z.array(item).max(500).optional(),
    )
    .meta({ description });

/**
 * What a question without a period asks: the answer's countingRule.years says which years it took.
 * Said on yearFrom, the first place a client looks (docs/statistics.md, "Scope").
 */
export const DEFAULT_PERIOD =
  'An end not given is taken from the data: the first (or last) year with a recorded action (any stage) or a reporting attestation of the municipalities in scope, this year when there is neither, never past the end that was given; stretched to a year in which each municipality named (or an officer’s own) exists, when it was merged away before those years or formed after them.';

const filters = z.object({
  yearFrom: yearInput(
    `First year (of the decision date) in the period. Not with decisionDateFrom/To. ${DEFAULT_PERIOD} So an open period grows as data arrives; countingRule.years says which years were taken.`,
  ).optional(),
  yearTo: yearInput('Last year in the period, inclusive. Left out: see yearFrom.').optional(),
  decisionDateFrom: dateInput(
    'Decisions on or after this date. Not with yearFrom/yearTo. For analysts the first day of a month (periods are whole months).',
  ).optional(),
  decisionDateTo: dateInput('Decisions on or before this date. For analysts the last day of a month.').optional(),
  municipalityCode: listOf(MunicipalityCode, 'Only these municipalities (CBS codes): repeat the parameter or give a comma list.'),
  programme: Programme.optional().meta({ description: 'Only municipalities in this programme: LPP (Landelijk Programma Prostitutie).' }),
  licenceStatus: listOf(LicenceStatusAtDecision, 'Only actions with this licence status at the decision date (licensed, unlicensed).'),
  measure: listOf(Measure, 'Only these measures (maatregelen).'),
  stage: listOf(Stage, 'The stages (fasen) to count; default decided, objection, appeal, final. Deleted actions are never counted.'),
});

/** The filters, with the period's cross-field rules listed beside the schema's issues (rules.ts). */
export const StatisticsFilters = alongsideSchemaIssues(filters, periodIssues);

export const Dimension = codeList('StatisticsDimension', DIMENSIONS, 'A dimension figures can be grouped by.');

export const StatisticsQuery = alongsideSchemaIssues(
  filters.extend({
    groupBy: listOf(
      Dimension,
      `Dimensions to group by (${DIMENSIONS.join(', ')}): repeat the parameter (\`groupBy=year&groupBy=municipality\`) or give a comma list (\`groupBy=year,municipality\`). Without it: one row with the totals.`,
    ),
  }),
  periodIssues,
);

export const CountingRule = z
  .object({
    stages: z.array(Stage).meta({ description: 'The stages counted.' }),
    decisionDateFrom: IsoDate,
    decisionDateTo: IsoDate,
    yearFrom: z.number().int(),
    yearTo: z.number().int(),
    years: z.array(z.number().int()).meta({ description: 'Every year in scope; a year without actions counts as 0.' }),
    municipalityCodes: z.array(MunicipalityCode).meta({ description: 'Every municipality in scope; one without actions counts as 0.' }),
    programme: Programme.nullable(),
    licenceStatuses: z.array(LicenceStatusAtDecision).nullable().meta({ description: 'The licence statuses filtered on; null: both.' }),
    measures: z.array(Measure).nullable().meta({ description: 'The measures filtered on; null: all.' }),
    groupBy: z.array(Dimension),
    source: z
      .enum(['rollup', 'actions'])
      .meta({ description: 'rollup: whole years from the statistics rollup; actions: counted from the actions.' }),
    description: z.string().meta({ description: 'The rule in words, to quote with the figures.' }),
    asOf: Timestamp.meta({
      description:
        'When the figures held: the moment they were read, or for a release the moment it was computed. Cite it with the figures.',
    }),
  })
  .meta({ id: 'CountingRule', description: 'What was counted, and how: enough to reproduce the figures.' });

/** A count or a sum of euro cents, with what it counts. */
const wholeNumber = (description: string) => z.number().int().meta({ description });

const amounts = {
  actions: wholeNumber('Number of actions (with groupBy ground: actions per ground).'),
  fineAmountCents: wholeNumber('Total of the administrative fines (bestuurlijke boetes) imposed, in euro cents.'),
  penaltyMaximumCents: wholeNumber('Total maximum of the penalty orders (lasten onder dwangsom), in euro cents.'),
  penaltyForfeitedCents: wholeNumber('Total forfeited (verbeurde dwangsommen) so far, in euro cents.'),
};

const dimensionFields = {
  year: z.number().int().optional().meta({ description: 'Year of the decision date; present when grouped by year.' }),
  municipalityCode: MunicipalityCode.optional(),
  municipalityName: z.string().optional(),
  licenceStatus: LicenceStatusAtDecision.optional(),
  measure: Measure.optional(),
  ground: Ground.optional(),
  stage: Stage.optional(),
};

export const ReportingStatusSchema = z.enum(['reported', 'nothing_to_report', 'not_reported']).meta({
  id: 'ReportingStatus',
  description:
    'Per municipality and year: reported (it has counted actions), nothing_to_report (no actions, and a live reporting attestation says its records are complete), not_reported (neither: its 0 is not a known figure).',
});

export const MunicipalityYearReporting = z
  .object({ municipalityCode: MunicipalityCode, year: z.number().int(), status: ReportingStatusSchema })
  .meta({ id: 'MunicipalityYearReporting' });

const Reporting = z
  .array(MunicipalityYearReporting)
  .meta({ description: 'Every municipality and year in scope with its reporting status (attestations: /reporting-attestations).' });

const RowStatus = z.enum(['reported', 'zero', 'nothing_to_report', 'not_reported']).meta({
  id: 'StatisticsRowStatus',
  description:
    'reported: actions > 0; for a 0, what the municipality-years it covers say: not_reported (one or more has neither actions nor an attestation: the 0 is not a known figure), nothing_to_report (all attested without actions), zero (a true 0: every one reported or attested, or it covers none in scope: a year before every municipality in scope was formed, or after each merged away).',
});

export const StatisticsRow = z
  .object({ ...dimensionFields, ...amounts, status: RowStatus })
  .meta({ id: 'StatisticsRow', description: 'One group: the values it is grouped by, its count and sums.' });

export const StatisticsTable = z
  .object({ countingRule: CountingRule, items: z.array(StatisticsRow), reporting: Reporting })
  .meta({ id: 'StatisticsTable', description: 'Figures on enforcement actions, grouped, with the counting rule applied.' });

const SummaryLine = {
  actions: z.number().int(),
  municipalities: wholeNumber('Municipalities in scope, with or without actions.'),
  years: wholeNumber('Calendar years the period touches (each municipality-year has one reporting status).'),
  periodYears: z.number().meta({
    description:
      'The period’s length in years, to four decimals: whole months ÷ 12 (2017-03-01 to 2020-02-29 is 3), else days ÷ 365.25. Equals years for a period of whole calendar years.',
    example: 3,
  }),
  municipalityYears: wholeNumber(
    'The calendar municipality-years in scope: municipalities × years, less the years in which one did not exist (formed later, merged away before); the denominator of the average when periodYears equals years.',
  ),
  averagePerMunicipalityPerYear: z.number().meta({
    description:
      'actions ÷ (municipalities × periodYears, each municipality for the part of the period it exists), exact, rounded half up to two decimals: actions ÷ municipalityYears for whole calendar years. The divisor itself: divisor.averagePerMunicipalityPerYear.',
  }),
  municipalityYearsReporting: wholeNumber('Municipality-years that reported: with actions, or attested with nothing to report.'),
  averagePerReportingMunicipalityYear: z.number().nullable().meta({
    description:
      'actions ÷ (the part of the period in each municipality-year that reported, in years), rounded half up to two decimals: actions ÷ municipalityYearsReporting for whole calendar years; null when none reported. The divisor itself: divisor.averagePerReportingMunicipalityYear.',
  }),
};

export const StatisticsSummary = z
  .object({
    countingRule: CountingRule,
    items: z.array(z.object({ licenceStatus: LicenceStatusAtDecision, ...SummaryLine }).meta({ id: 'StatisticsSummaryItem' })),
    total: z.object(SummaryLine).meta({ id: 'StatisticsSummaryTotal' }),
    divisor: z
      .object({
        rule: z.string().meta({ description: 'Which municipality-years the averages divide by, and by which rule, in words.' }),
        municipalityCodes: z.array(MunicipalityCode).meta({ description: 'The municipalities divided by (all in scope).' }),
        municipalityYears: z.number().int(),
        averagePerMunicipalityPerYear: z.number().meta({
          description:
            'The divisor of averagePerMunicipalityPerYear, in municipality-years, shown to four decimals: each municipality in scope for the part of the period it exists (municipalities × periodYears when all exist throughout; municipalityYears for whole calendar years, then exact). The averages divide by the exact value, so for a period of other lengths actions ÷ this shown value can differ from the average in its last decimal.',
          example: 30,
        }),
        averagePerReportingMunicipalityYear: z.number().nullable().meta({
          description:
            'The divisor of averagePerReportingMunicipalityYear, in years, shown to four decimals: the part of the period in each municipality-year that reported (municipalityYearsReporting for whole calendar years, then exact); the average divides by the exact value. Null when none reported.',
          example: 28.3333,
        }),
        reported: wholeNumber('Municipality-years with actions.'),
        nothingToReport: wholeNumber('Municipality-years without actions, attested complete.'),
        notReported: wholeNumber('Municipality-years with neither: counted as 0 in averagePerMunicipalityPerYear.'),
      })
      .meta({ id: 'StatisticsDivisor' }),
    reporting: Reporting,
  })
  .meta({ id: 'StatisticsSummary', description: 'Per licence status: total, scope and average per municipality per year.' });

export const Observation = z
  .object({
    id: z.number().int(),
    measure: z.string().meta({
      description:
        'The quantity (onderwerp): Handhavingsmaatregelen_1 (count), OpgelegdeBoetes_2, MaximaleDwangsommen_3, VerbeurdeDwangsommen_4 (euro cents).',
    }),
    valueAttribute: z.enum(['None', 'NotReported']).meta({
      description:
        'As in CBS StatLine: None for a value (0 included); NotReported for a 0 nobody reported (no counted actions and no reporting attestation for the municipality-years it covers).',
    }),
    value: z.number().int().nullable().meta({ description: 'The value; null when valueAttribute is NotReported.' }),
    Perioden: z.string().optional().meta({ description: 'CBS period code, e.g. 2019JJ00.' }),
    RegioS: z.string().optional().meta({ description: 'CBS region code, e.g. GM0363.' }),
    Vergunningstatus: LicenceStatusAtDecision.optional(),
    Maatregel: Measure.optional(),
    Grond: Ground.optional(),
    Fase: Stage.optional(),
  })
  .meta({ id: 'Observation', description: 'One value in long format, with CBS-style dimension codes.' });

export const Observations = z
  .object({ countingRule: CountingRule, items: z.array(Observation) })
  .meta({ id: 'Observations', description: 'Figures in long format (one row per value), like CBS StatLine observations.' });

const OPEN_DIMENSIONS = OPEN_DATA_DIMENSIONS;

export const OpenDataQuery = z.object({
  groupBy: listOf(
    z.enum(OPEN_DIMENSIONS),
    `Dimensions to group by (${OPEN_DIMENSIONS.join(', ')}): repeat the parameter or give a comma list.`,
  ),
});

const Published = {
  value: z.number().int().nullable().meta({ description: 'The count; null when suppressed or not reported.' }),
  status: z.enum(['reported', 'zero', 'nothing_to_report', 'suppressed', 'not_reported']).meta({
    id: 'PublicationStatus',
    description:
      'reported: a published count above 0; zero: 0 actions, and every municipality-year it covers reported (had actions) or attested, or it covers none in scope (a municipality in a year before it was formed or after it merged away); nothing_to_report: 0, and every municipality-year it covers has an attestation that its records are complete; not_reported: 0, and one or more municipality-years it covers has neither actions nor an attestation, so no figure is known (value null); suppressed: withheld (below the threshold, or because the published values of all groupings together would give a withheld value away).',
  }),
};

export const OpenDataCell = z
  .object({
    year: dimensionFields.year,
    municipalityCode: dimensionFields.municipalityCode,
    licenceStatus: dimensionFields.licenceStatus,
    measure: dimensionFields.measure,
    ...Published,
  })
  .meta({ id: 'OpenDataCell' });

export const OpenDataTable = z
  .object({
    countingRule: CountingRule,
    threshold: wholeNumber('Counts from 1 up to (not including) this are suppressed (STATISTICS_SUPPRESSION_THRESHOLD).'),
    cells: z.array(OpenDataCell),
    margins: z
      .array(
        z
          .object({
            dimension: z
              .enum(OPEN_DIMENSIONS)
              .meta({ description: 'The dimension this total is per value of; the other dimensions are summed over.' }),
            year: dimensionFields.year,
            municipalityCode: dimensionFields.municipalityCode,
            licenceStatus: dimensionFields.licenceStatus,
            measure: dimensionFields.measure,
            ...Published,
          })
          .meta({ id: 'OpenDataMargin' }),
      )
      .meta({ description: 'Totals per value of each grouped dimension (with two or more dimensions).' }),
    total: z.object(Published).meta({ id: 'OpenDataTotal' }),
    release: z
      .object({
        moment: Timestamp.meta({ description: 'The fixed moment this release belongs to (daily, 00:00 UTC).' }),
        computedAt: Timestamp.meta({ description: 'When it was computed (the figures as of then).' }),
        nextMoment: Timestamp.meta({ description: 'The next release moment: until then the answer does not change.' }),
      })
      .meta({ id: 'OpenDataReleaseInfo' }),
    reporting: Reporting,
  })
  .meta({ id: 'OpenDataTable', description: 'Publishable figures: small counts suppressed, totals safe.' });

export const CsvBody = z.string().meta({ description: 'RFC 4180 CSV (CRLF line ends, header row).' });
