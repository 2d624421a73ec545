import { z } from 'zod';
import { periodIssues } from '../../domain/statistics.js';
import { YEAR_FLOOR, YEAR_HORIZON } from '../../lib/dates.js';
import { dateInput, IsoDate, MunicipalityCode, prose, Timestamp, yearField } from './common.js';
import { LicenceStatusAtDecision, Measure, Stage } from './enforcement-actions.js';
import { Programme } from './municipalities.js';
import { pageOf } from './records.js';
import { alongsideSchemaIssues } from './rules.js';
import { CountingRule, DEFAULT_PERIOD, Dimension, StatisticsRow } from './statistics.js';

const Year = z.number().int().min(YEAR_FLOOR).max(YEAR_HORIZON);

/** The question of a release: the same filters and grouping as /statistics/enforcement-actions, as JSON. */
const questionFields = {
  groupBy: z.array(Dimension).max(6).optional().meta({ description: 'Dimensions to group by; none: one row with the totals.' }),
  yearFrom: Year.optional(),
  yearTo: Year.optional(),
  decisionDateFrom: IsoDate.optional(),
  decisionDateTo: IsoDate.optional(),
  municipalityCode: z.array(MunicipalityCode).max(500).optional(),
  programme: Programme.optional(),
  licenceStatus: z.array(LicenceStatusAtDecision).max(2).optional(),
  measure: z.array(Measure).max(20).optional(),
  stage: z.array(Stage).max(20).optional(),
};

/** The body, with the period's cross-field rules listed beside the schema's issues, as the live question's (rules.ts). */
export const StatisticsReleaseInput = alongsideSchemaIssues(
  z.strictObject({
    title: prose(1, 200).meta({ description: 'What the table shows, to cite it by, e.g. "Handhaving LPP 2017–2019 per gemeente".' }),
    ...questionFields,
    // Years and dates sent lie in the plausible range, as the live question's (docs/api.md "Dates"); a stored release shows its own.
    yearFrom: yearField(
      `First year (of the decision date) in the period. ${DEFAULT_PERIOD} Taken when the release is published: its countingRule.years keeps them.`,
    ).optional(),
    yearTo: yearField('Last year in the period, inclusive. Left out: see yearFrom.').optional(),
    decisionDateFrom: dateInput().optional(),
    decisionDateTo: dateInput().optional(),
  }),
  periodIssues,
).meta({ id: 'StatisticsReleaseWrite' });

export const StatisticsReleaseQuestion = z
  .object(questionFields)
  .meta({ id: 'StatisticsReleaseQuestion', description: 'The question the release answers, as it was asked.' });

const releaseFields = {
  number: z.number().int().min(1).meta({ description: 'The release number: cite it (“release 12”).' }),
  title: z.string(),
  publishedAt: Timestamp,
  publishedBy: z.uuid().nullable().meta({ description: 'The API client that published it.' }),
  asOf: Timestamp.meta({ description: 'When the figures held: the moment they were read.' }),
  query: StatisticsReleaseQuestion,
  countingRule: CountingRule,
  version: z.number().int().min(1).max(1).meta({ description: 'Always 1: a release never changes.' }),
};

export const StatisticsRelease = z.object({ ...releaseFields, items: z.array(StatisticsRow) }).meta({
  id: 'StatisticsRelease',
  description: 'An immutable, numbered table of figures: the question, the counting rule and the numbers.',
});

export const StatisticsReleaseSummary = z.object(releaseFields).meta({ id: 'StatisticsReleaseSummary' });

export const StatisticsReleasePage = pageOf(StatisticsReleaseSummary, 'StatisticsReleasePage');
