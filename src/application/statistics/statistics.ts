import type { StageName } from '../../domain/enforcement-actions.js';
import { Forbidden, type InvalidParam, RuleViolation } from '../../domain/errors.js';
import { defaultYears, describeYears, existsIn, unknownMunicipality } from '../../domain/municipalities.js';
import {
  averageOf,
  calendarYearsIn,
  canonicalGroupBy,
  cellCount,
  DEFAULT_STAGES,
  type Dimension,
  GROUNDS,
  LICENCE_STATUSES,
  MEASURES,
  municipalityYearsIn,
  periodInYears,
  periodIssues,
  periodParameter,
  type ReportingStatus,
  reportingStatus,
  withZeroCells,
  zeroStatus,
} from '../../domain/statistics.js';
import type { Tx } from '../../infrastructure/db/client.js';
import { nothingToReportYears } from '../../infrastructure/repositories/reporting.js';
import {
  type MunicipalityRef,
  statisticsRepository as repo,
  type StatisticsQuery,
  wholeYears,
} from '../../infrastructure/repositories/statistics.js';
import type { Cell } from '../../infrastructure/repositories/statistics-cells.js';
import { firstDayOf, isFirstOfMonth, isLastOfMonth, lastDayOf, yearInNetherlands } from '../../lib/dates.js';
import type { RequestContext } from '../context.js';
import type { Reader } from '../queries/read.js';

/** A municipality and year with its reporting status. */
export interface MunicipalityYear {
  municipalityCode: string;
  year: number;
  status: ReportingStatus;
}

export type RowStatus = 'reported' | 'zero' | 'nothing_to_report' | 'not_reported';

/** The most cells one answer may hold (zero cells included): beyond it, ask a narrower question. */
const MAX_CELLS = 100_000;

/** A statistics request as the routes parse it from the query string. */
export interface StatisticsRequest {
  groupBy: Dimension[];
  yearFrom?: number | undefined;
  yearTo?: number | undefined;
  decisionDateFrom?: string | undefined;
  decisionDateTo?: string | undefined;
  municipalityCode?: string[] | undefined;
  programme?: string | undefined;
  licenceStatus?: string[] | undefined;
  measure?: string[] | undefined;
  stage?: StageName[] | undefined;
}

/** What was counted, stated so that a reader can reproduce the figures. */
export interface CountingRule {
  stages: StageName[];
  decisionDateFrom: string;
  decisionDateTo: string;
  yearFrom: number;
  yearTo: number;
  years: number[];
  municipalityCodes: string[];
  programme: string | null;
  licenceStatuses: string[] | null;
  measures: string[] | null;
  groupBy: Dimension[];
  source: 'rollup' | 'actions';
  description: string;
  /** When the figures held: the moment they were read (for a release, when it was computed). */
  asOf: string;
}

export interface Resolved {
  query: StatisticsQuery & { stages: readonly StageName[] };
  years: number[];
  municipalities: MunicipalityRef[];
  programme: string | null;
}

/** The municipalities in scope that did not exist in every year of the period, and their years. */
function yearsOfMunicipalities(r: Resolved): string[] {
  const partial = r.municipalities.filter((m) => !r.years.every((y) => existsIn(m, y)));
  if (partial.length === 0) return [];
  return [
    `A municipality counts only in the years it exists (formed or merged away): ${partial.map((m) => `${m.code} ${describeYears(m)}`).join(', ')}.`,
  ];
}

/** What an answer publishes beside the counts: the sums of amounts (statistics), or the counts alone (open data). */
export type Publishes = 'counts and amounts' | 'counts';

function describe(r: Resolved, source: 'rollup' | 'actions', publishes: Publishes): string {
  const q = r.query;
  const parts = [
    `Counts enforcement actions (bestuurlijke handhavingsmaatregelen) in stages ${q.stages.join(', ')}; actions in any other stage, and deleted actions, are not counted.`,
    `Each action counts in the calendar year of its decision date (besluitdatum); decision dates ${q.decisionDateFrom} to ${q.decisionDateTo} inclusive, years ${r.years[0]}–${r.years[r.years.length - 1]}.`,
    `Municipalities in scope (${r.municipalities.length}${r.programme ? `, programme ${r.programme}` : ''}): ${r.municipalities.map((m) => m.code).join(', ')}; a municipality or year without actions is in scope and counts as 0.`,
    ...yearsOfMunicipalities(r),
    'Licensed or unlicensed is the establishment’s licence status (exploitatievergunning in force) on the decision date, derived from its licence history, not today’s status.',
  ];
  if (q.licenceStatuses) parts.push(`Only licence status ${q.licenceStatuses.join(', ')}.`);
  if (q.measures) parts.push(`Only measures ${q.measures.join(', ')}.`);
  if (q.groupBy.includes('ground'))
    parts.push(
      'Grouped by ground (grond): an action with two grounds counts once under each, with its full amounts, so ground rows add up to more than the number of actions and their amounts to more than the total imposed: do not add them up over grounds.',
    );
  if (publishes === 'counts and amounts')
    parts.push(
      'Sums: fineAmountCents is the total of administrative fines imposed; penaltyMaximumCents the total maximum of the penalty orders (dwangsommen); penaltyForfeitedCents the total forfeited so far. Penalty amounts per unit are not summed: their units differ.',
    );
  parts.push(
    source === 'rollup'
      ? 'Answered from the statistics rollup (whole years).'
      : 'Answered from the actions themselves (a date range that is not whole years).',
  );
  return parts.join(' ');
}

export function countingRule(r: Resolved, source: 'rollup' | 'actions', publishes: Publishes = 'counts and amounts'): CountingRule {
  const q = r.query;
  return {
    stages: [...q.stages],
    decisionDateFrom: q.decisionDateFrom,
    decisionDateTo: q.decisionDateTo,
    yearFrom: r.years[0] as number,
    yearTo: r.years[r.years.length - 1] as number,
    years: r.years,
    municipalityCodes: r.municipalities.map((m) => m.code),
    programme: r.programme,
    licenceStatuses: q.licenceStatuses ? [...q.licenceStatuses] : null,
    measures: q.measures ? [...q.measures] : null,
    groupBy: [...q.groupBy],
    source,
    description: describe(r, source, publishes),
    asOf: new Date().toISOString(),
  };
}

/**
 * Analysts see figures, never records: their periods are whole months at the finest, so that no
 * answer narrows down to one day's decision (docs/statistics.md, "Who may ask for which period").
 */
function wholeMonthIssues(req: StatisticsRequest): InvalidParam[] {
  const issues: InvalidParam[] = [];
  if (req.decisionDateFrom && !isFirstOfMonth(req.decisionDateFrom)) {
    issues.push({ name: 'decisionDateFrom', code: 'not_whole_months', reason: 'an analyst’s period starts on the first day of a month' });
  }
  if (req.decisionDateTo && !isLastOfMonth(req.decisionDateTo)) {
    issues.push({ name: 'decisionDateTo', code: 'not_whole_months', reason: 'an analyst’s period ends on the last day of a month' });
  }
  return issues;
}

/**
 * A period labelled per year as a whole one (observations' Perioden 2019JJ00) starts on 1 January and
 * ends on 31 December; yearFrom/yearTo always do.
 */
function wholeYearIssues(req: StatisticsRequest): InvalidParam[] {
  const issues: InvalidParam[] = [];
  const reason = (day: string) =>
    `observations grouped by year label each year as a whole one (Perioden 2019JJ00), so the period ${day}: ask for whole years (yearFrom/yearTo), or leave year out of groupBy`;
  if (req.decisionDateFrom !== undefined && !req.decisionDateFrom.endsWith('-01-01'))
    issues.push({ name: 'decisionDateFrom', code: 'not_whole_years', reason: reason('starts on 1 January') });
  if (req.decisionDateTo !== undefined && !req.decisionDateTo.endsWith('-12-31'))
    issues.push({ name: 'decisionDateTo', code: 'not_whole_years', reason: reason('ends on 31 December') });
  return issues;
}

interface TableOptions {
  forAnalysts?: boolean;
  yearCodes?: boolean;
  /** The counting rule's description names the sums only where they are published (not in open data). */
  publishes?: Publishes;
}

/** A number of years to four decimals, as the summary gives periodYears and the divisors. */
const yearsOf = (fraction: { numerator: number; denominator: number }) =>
  Math.round((fraction.numerator / fraction.denominator) * 10_000) / 10_000;

/** The same in words: "1 year", "2.25 years". */
const yearsPhrase = (fraction: { numerator: number; denominator: number }) => {
  const n = yearsOf(fraction);
  return `${n} year${n === 1 ? '' : 's'}`;
};

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The statistics (the counting rule: docs/statistics.md). Who may ask what: analysts and admins any
 * municipality; an officer only their own, and asking for another is a 403, not a 404 — municipality
 * codes are public, so the refusal reveals nothing, and a silently empty answer would be a wrong figure.
 */
export function createStatisticsService(read: Reader) {
  /**
   * Turns a request into an explicit question: who may see what, which municipalities, which dates.
   * `forAnalysts`: the answer is for analysts whoever asks (a release), so the whole-months rule holds.
   * `yearCodes`: the answer labels each year as a whole one (the CBS period code 2019JJ00), so a period
   * grouped by year must be whole calendar years.
   */
  async function resolve(tx: Tx, ctx: RequestContext, req: StatisticsRequest, opts: TableOptions): Promise<Resolved> {
    const issues: InvalidParam[] = periodIssues(req);
    const usesDates = req.decisionDateFrom !== undefined || req.decisionDateTo !== undefined;
    if (opts.forAnalysts || ctx.actor.role === 'analyst') issues.push(...wholeMonthIssues(req));
    if (opts.yearCodes && req.groupBy?.includes('year')) issues.push(...wholeYearIssues(req));
    const all = await repo.municipalities(tx);
    // An empty list (`?municipalityCode=`, `?municipalityCode=,`) is no filter, as for stage, measure and licenceStatus.
    const requested = req.municipalityCode?.length ? [...new Set(req.municipalityCode)] : undefined;
    const programmesOf = new Map(all.map((m) => [m.code, m.programmes]));
    requested?.forEach((code) => {
      if (!programmesOf.has(code)) issues.push(unknownMunicipality(code));
      else if (req.programme && !programmesOf.get(code)?.includes(req.programme))
        issues.push({
          name: 'municipalityCode',
          code: 'not_in_programme',
          reason: `municipality ${code} is not in programme ${req.programme}: leave out one of the two`,
        });
    });
    // An officer without municipalityCode asks about their own municipality: outside the programme
    // the scope would be empty, as for a municipality named outside it.
    const own = ctx.municipalityCode;
    if (own && !requested && req.programme && !programmesOf.get(own)?.includes(req.programme))
      issues.push({
        name: 'programme',
        code: 'not_in_programme',
        reason: `your municipality ${own} is not in programme ${req.programme}: leave out programme`,
      });
    if (issues.length) throw new RuleViolation(issues);

    if (own && requested?.some((c) => c !== own)) {
      throw new Forbidden(`An officer may read statistics of their own municipality (${own}) only.`);
    }
    let asked = all;
    if (own) asked = asked.filter((m) => m.code === own);
    if (requested) asked = asked.filter((m) => requested.includes(m.code));
    if (req.programme) asked = asked.filter((m) => m.programmes.includes(req.programme as string));

    const codes = asked.map((m) => m.code);
    // The municipalities named (or an officer's own): a default period reaches to a year each of them exists.
    const named = all.filter((m) => (requested ?? (own ? [own] : [])).includes(m.code));
    const defaults = async () => defaultYears(await repo.dataYears(tx, codes, codes.length === all.length), named, yearInNetherlands());
    let from: string;
    let to: string;
    if (usesDates) {
      const d = await defaults();
      const toYear = req.decisionDateTo ? Number(req.decisionDateTo.slice(0, 4)) : Number.POSITIVE_INFINITY;
      from = req.decisionDateFrom ?? firstDayOf(Math.min(d.from, toYear));
      to = req.decisionDateTo ?? lastDayOf(Math.max(d.to, Number(from.slice(0, 4))));
    } else {
      let yf = req.yearFrom;
      let yt = req.yearTo;
      if (yf === undefined || yt === undefined) {
        const d = await defaults();
        yf ??= Math.min(d.from, yt ?? Number.POSITIVE_INFINITY);
        yt ??= Math.max(d.to, yf);
      }
      from = firstDayOf(yf);
      to = lastDayOf(yt);
    }
    const years = range(Number(from.slice(0, 4)), Number(to.slice(0, 4)));
    if (years.length > 100) {
      throw new RuleViolation([{ name: periodParameter(req), code: 'period_too_long', reason: 'a period spans at most 100 years' }]);
    }
    // A municipality is in scope in the years it exists (formed, merged away: domain/municipalities.ts).
    // One named (or an officer's own) that exists in none of the period's years is a 400, as one outside the programme.
    const scope = asked.filter((m) => years.some((y) => existsIn(m, y)));
    const absent = (requested ?? (own ? [own] : [])).flatMap((code) => {
      const m = asked.find((x) => x.code === code);
      return m && !scope.includes(m) ? [m] : [];
    });
    if (absent.length) {
      throw new RuleViolation(
        absent.map((m) => ({
          name: requested ? 'municipalityCode' : periodParameter(req),
          code: 'outside_municipality_years',
          reason: `municipality ${m.code} exists ${describeYears(m)} only, not in ${years.length > 1 ? `${years[0]}–${years[years.length - 1]}` : years[0]}`,
        })),
      );
    }
    const inScope = scope.map((m) => m.code);
    if (!wholeYears(from, to)) {
      // Destroyed actions are counted per whole year only (their own cells): months of their year cannot count them.
      const destroyed = await repo.yearsWithDestroyedActions(tx, inScope, from, to);
      if (destroyed.length) {
        throw new RuleViolation([
          {
            name: 'decisionDateFrom',
            code: 'destroyed_records_in_period',
            reason: `enforcement actions of ${destroyed.join(', ')} were destroyed under the Archiefwet; their counts are kept for whole years only: ask for whole years (yearFrom/yearTo)`,
          },
        ]);
      }
    }
    const groupBy = canonicalGroupBy(req.groupBy);
    const query: Resolved['query'] = {
      groupBy,
      municipalityCodes: inScope,
      decisionDateFrom: from,
      decisionDateTo: to,
      stages: req.stage?.length ? [...new Set(req.stage)] : [...DEFAULT_STAGES],
      licenceStatuses: req.licenceStatus?.length ? [...new Set(req.licenceStatus)] : null,
      measures: req.measure?.length ? [...new Set(req.measure)] : null,
      allMunicipalities: inScope.length === all.length,
    };
    const resolved = { query, years, municipalities: scope, programme: req.programme ?? null };
    if (cellCount(groupBy, domainsOf(resolved)) > MAX_CELLS) {
      throw new RuleViolation([
        {
          name: 'groupBy',
          code: 'too_many_cells',
          reason: `the answer would have more than ${MAX_CELLS} rows; group by fewer dimensions or narrow the scope`,
        },
      ]);
    }
    return resolved;
  }

  function domainsOf(r: Resolved): Record<Dimension, readonly (string | number)[]> {
    return {
      year: r.years,
      municipality: r.municipalities.map((m) => m.code),
      licenceStatus: r.query.licenceStatuses ?? LICENCE_STATUSES,
      measure: r.query.measures ?? MEASURES,
      ground: GROUNDS,
      stage: r.query.stages,
    };
  }

  /**
   * Every municipality-year in scope with its reporting status: reported when it has actions in the
   * counted stages, or in the stages asked for, in that whole calendar year (whatever the period's
   * months or the licence-status or measure filter: the status is the municipality-year's, the unit
   * an attestation speaks for), nothing_to_report when it has none and a live attestation,
   * not_reported otherwise.
   */
  async function reportingOf(tx: Tx, resolved: Resolved): Promise<MunicipalityYear[]> {
    const { cells } = await repo.aggregate(tx, {
      ...resolved.query,
      groupBy: ['year', 'municipality'],
      decisionDateFrom: firstDayOf(resolved.years[0] as number),
      decisionDateTo: lastDayOf(resolved.years[resolved.years.length - 1] as number),
      stages: [...new Set([...DEFAULT_STAGES, ...resolved.query.stages])],
      licenceStatuses: null,
      measures: null,
    });
    const actions = new Map(cells.map((c) => [`${c.municipalityCode}:${c.year}`, c.actions]));
    const attested = await nothingToReportYears(tx);
    return resolved.years.flatMap((year) =>
      resolved.municipalities.flatMap((m) => {
        if (!existsIn(m, year)) return [];
        const key = `${m.code}:${year}`;
        return [{ municipalityCode: m.code, year, status: reportingStatus(actions.get(key) ?? 0, attested.has(key)) }];
      }),
    );
  }

  /** A row's status: reported (a count above 0), or for a 0 what the municipality-years it covers say. */
  function rowStatus(reporting: MunicipalityYear[]): (row: Cell) => RowStatus {
    const group = (key: (r: MunicipalityYear) => string) => {
      const by = new Map<string, ReportingStatus[]>();
      for (const r of reporting) {
        const k = key(r);
        const list = by.get(k);
        if (list) list.push(r.status);
        else by.set(k, [r.status]);
      }
      return new Map([...by].map(([k, list]) => [k, zeroStatus(list)]));
    };
    const one = group((r) => `${r.municipalityCode}:${r.year}`);
    const perYear = group((r) => String(r.year));
    const perMunicipality = group((r) => r.municipalityCode);
    const all = zeroStatus(reporting.map((r) => r.status));
    // A row that covers no municipality-year in scope (a year in which none of them existed) is a known 0.
    const none = zeroStatus([]);
    return (row) => {
      if (row.actions > 0) return 'reported';
      if (row.year !== undefined && row.municipalityCode !== undefined) return one.get(`${row.municipalityCode}:${row.year}`) ?? none;
      if (row.year !== undefined) return perYear.get(String(row.year)) ?? none;
      if (row.municipalityCode !== undefined) return perMunicipality.get(row.municipalityCode) ?? none;
      return all;
    };
  }

  /**
   * The grouped figures with every cell the scope implies (zeros included), and the rule applied.
   * `opts`: see resolve(). One snapshot: the counts and the reporting status are separate statements,
   * and a write committing between them would give a 0 marked reported, or 1 action not reported.
   */
  function table(ctx: RequestContext, req: StatisticsRequest, opts: TableOptions = {}) {
    return read.list(
      ctx,
      async (tx) => {
        const resolved = await resolve(tx, ctx, req, opts);
        const { cells, source } = await repo.aggregate(tx, resolved.query);
        const reporting = await reportingOf(tx, resolved);
        const statusOf = rowStatus(reporting);
        const exists = new Map(resolved.municipalities.map((m) => [m.code, m]));
        const inScope = (code: string, year: number) => existsIn(exists.get(code) ?? { firstYear: null, lastYear: null }, year);
        const rows = withZeroCells(resolved.query.groupBy, domainsOf(resolved), cells, inScope).map((r) => ({ ...r, status: statusOf(r) }));
        return { resolved, rows, reporting, countingRule: countingRule(resolved, source, opts.publishes) };
      },
      { snapshot: true },
    );
  }

  /** Per licence status: the total, municipalities and years in scope, and the average per municipality per year. */
  async function summary(ctx: RequestContext, req: Omit<StatisticsRequest, 'groupBy'>) {
    const { resolved, rows, reporting, countingRule: rule } = await table(ctx, { ...req, groupBy: ['licenceStatus'] });
    const municipalities = resolved.municipalities.length;
    const years = resolved.years.length;
    const municipalityYears = reporting.length; // municipalities × years, less the years in which one did not exist
    const count = (s: ReportingStatus) => reporting.filter((r) => r.status === s).length;
    const reported = count('reported');
    const nothingToReport = count('nothing_to_report');
    const notReported = count('not_reported');
    const { decisionDateFrom: from, decisionDateTo: to } = resolved.query;
    const reportingYears = reported + nothingToReport;
    // The reporting average's divisor: each municipality-year that reported, for the part of the period in its year.
    const reportingExposure = calendarYearsIn(
      from,
      to,
      reporting.filter((r) => r.status !== 'not_reported').map((r) => r.year),
    );
    // The averages are per year of the period's own length (= years for whole calendar years).
    const periodYears = yearsOf(periodInYears(from, to));
    // The letter's divisor: each municipality for the part of the period it exists (all of it, unless formed or merged away).
    const exposure = municipalityYearsIn(from, to, resolved.municipalities);
    const partial = resolved.municipalities.filter((m) => !resolved.years.every((y) => existsIn(m, y)));
    const partialNote = partial.length
      ? ` Municipalities count only in the years they exist: ${partial.map((m) => `${m.code} ${describeYears(m)}`).join(', ')}.`
      : '';
    const line = (actions: number) => ({
      actions,
      municipalities,
      years,
      periodYears,
      municipalityYears,
      averagePerMunicipalityPerYear: exposure.numerator === 0 ? 0 : averageOf(actions * exposure.denominator, exposure.numerator, 2),
      municipalityYearsReporting: reportingYears,
      averagePerReportingMunicipalityYear:
        reportingExposure.numerator === 0 ? null : averageOf(actions * reportingExposure.denominator, reportingExposure.numerator, 2),
    });
    const codes = resolved.municipalities.map((m) => m.code).join(', ');
    return {
      countingRule: rule,
      items: rows.map((r) => ({ licenceStatus: r.licenceStatus as 'licensed' | 'unlicensed', ...line(r.actions) })),
      total: line(rows.reduce((n, r) => n + r.actions, 0)),
      divisor: {
        rule:
          (periodYears !== years
            ? `averagePerMunicipalityPerYear divides by every municipality in scope, ${municipalities} (${codes}), × the period's length, ${periodYears} years (${from} to ${to})${partial.length ? `, each for the part it exists: ${yearsPhrase(exposure)} together` : ''}, municipalities without actions included, as in the letter of 24 March 2020. The period touches ${years} calendar years, ${municipalityYears} municipality-years, of which ${notReported} not reported (no actions and no attestation in that calendar year, counted as 0). averagePerReportingMunicipalityYear divides by the ${reportingYears} calendar municipality-years that reported (${reported} with actions, ${nothingToReport} attested with nothing to report), each for the part of its year the period covers: ${yearsPhrase(reportingExposure)} together.`
            : `averagePerMunicipalityPerYear divides by every municipality-year in scope: ${municipalities} municipalities (${codes}) × ${years} years${partial.length ? `, less the years in which one did not exist,` : ''} = ${municipalityYears}, including ${notReported} not reported (no actions and no attestation), counted as 0 as in the letter of 24 March 2020. averagePerReportingMunicipalityYear divides by the ${reportingYears} municipality-years that reported: ${reported} with actions and ${nothingToReport} attested with nothing to report.`) +
          partialNote,
        municipalityCodes: resolved.municipalities.map((m) => m.code),
        municipalityYears,
        averagePerMunicipalityPerYear: yearsOf(exposure),
        averagePerReportingMunicipalityYear: reportingExposure.numerator === 0 ? null : yearsOf(reportingExposure),
        reported,
        nothingToReport,
        notReported,
      },
      reporting,
    };
  }

  return { table, summary };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;
