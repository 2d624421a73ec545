import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicContext } from '../../application/context.js';
import type { Services } from '../../application/services.js';
import { observations, observationsCsv, openDataCsv, tableCsv } from '../../application/statistics/csv.js';
import { openObservations, openObservationsCsv } from '../../application/statistics/metadata.js';
import type { StatisticsRequest } from '../../application/statistics/statistics.js';
import type { Dimension, OpenDataDimension } from '../../domain/statistics.js';
import { CSV_CONTENT_TYPE, CSV_FORMATS, type CsvFormat, wantsCsv } from '../../lib/csv.js';
import { contextOf } from '../plugins/auth.js';
import { declareResponseHeaders } from '../plugins/openapi.js';
import {
  CsvBody,
  Observations,
  OpenDataQuery,
  OpenDataTable,
  StatisticsFilters,
  StatisticsQuery,
  StatisticsSummary,
  StatisticsTable,
} from '../schemas/statistics.js';
import { OpenObservations } from '../schemas/statistics-metadata.js';
import { AUTH_PROBLEMS, BEARER, problems, roles } from './operations.js';

const tags = ['Statistics'];
const jsonOrCsv = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'text/csv': { schema: CsvBody } },
});
const RULE =
  ' Counting rule (stated in every answer as countingRule): an action counts in the year of its decision date (besluitdatum); by default stages decided, objection, appeal and final are counted, never deleted actions; licensed or unlicensed is the licence status (exploitatievergunning) on the decision date; every municipality and year in scope appears, with 0 when it has no actions.';
/** The rule and how to get CSV: for the operations that answer CSV (the summary does not). */
const COUNTING = `${RULE} Send \`Accept: text/csv\` (or use the \`/csv\` path) for RFC 4180 CSV with codes and Dutch labels; \`/csv?format=csv-excel\` for the dialect Dutch Excel opens directly.`;

/** What the shared handlers read of a request: its query (parsed by the route's schema), id and headers. */
type StatisticsCall = FastifyRequest & { query: z.output<typeof StatisticsQuery> };
type OpenDataCall = FastifyRequest & { query: z.output<typeof OpenDataQuery> };

function toRequest(q: z.infer<typeof StatisticsFilters> & { groupBy?: Dimension[] | undefined; format?: CsvFormat }): StatisticsRequest {
  const { format: _answeredAs, ...question } = q;
  return { ...question, groupBy: q.groupBy ?? [] } as StatisticsRequest;
}

/** The `/csv` paths' dialect: RFC 4180, or Dutch Excel's (as the record export's format). */
const CsvFormatParam = z.enum(CSV_FORMATS).default('csv').meta({
  description:
    'csv: RFC 4180 (comma, CRLF); csv-excel: the dialect Dutch Excel opens directly (semicolon, UTF-8 byte-order mark), as the record export writes it.',
});

/** How an operation is named and explained (its tag is Statistics). */
type OperationText = { operationId: string; summary: string; description: string };

/** On an answer that Accept made JSON or CSV (a success; a refusal is problem+json whatever it asks): `Vary: Accept`, for caches. */
const varyByAccept = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
  if (reply.statusCode < 300) reply.header('Vary', 'Accept');
  return payload;
};

const csvOnly = (description: string) => ({ description, content: { 'text/csv': { schema: CsvBody } } });

/**
 * A CSV answer's link to the same question in JSON (RFC 8288 describedby, as CSV on the Web links a
 * table to its metadata): the CSV holds figures only, the JSON also the counting rule they follow.
 */
function describedBy(path: string, request: FastifyRequest): string {
  const query = new URLSearchParams(request.url.split('?')[1] ?? '');
  query.delete('format'); // the CSV dialect of the /csv path; the JSON answer has none
  const rest = query.toString();
  return `</v1${path}${rest ? `?${rest}` : ''}>; rel="describedby"; type="application/json"`;
}

/**
 * The describedby link on the CSV answer only, as the document declares it: set when the answer is
 * sent, so a refusal found while answering (a problem+json 400, 403 or 503) does not carry it.
 */
const linkOnCsv = (path: string) => async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
  if (reply.statusCode === 200 && String(reply.getHeader('content-type') ?? '').startsWith('text/csv'))
    reply.header('Link', describedBy(path, request));
  return payload;
};

function sendCsv(reply: FastifyReply, name: string, body: string) {
  return reply.type(CSV_CONTENT_TYPE).header('Content-Disposition', `attachment; filename="${name}.csv"`).send(body);
}

/** Figures for analysts (exact) and the public (open data, suppressed). */
const statisticsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { statistics } = services;

  /**
   * A table of figures at `path` (JSON, or CSV by Accept) and its twin at `${path}/csv` (always CSV,
   * for clients that cannot set Accept): the same query and answer, documented as two operations.
   * Without `access` both are public.
   */
  const figures = <Q extends z.ZodType>(spec: {
    path: string;
    access?: ReturnType<typeof roles>;
    query: Q;
    json: OperationText & { schema: z.ZodType; answer: string };
    csv: OperationText & { answer: string };
    /** Answers JSON, or CSV in the format given. */
    send: (request: FastifyRequest & { query: z.output<Q> }, reply: FastifyReply, csv: CsvFormat | null) => Promise<unknown>;
  }) => {
    const { path, access, query, json, csv, send } = spec;
    const problemsOf = access ? problems(400, ...AUTH_PROBLEMS) : problems(400, 503);
    const describe = ({ operationId, summary, description }: OperationText, querystring: z.ZodType = query) => ({
      operationId,
      summary,
      description,
      tags,
      ...(access ? { security: BEARER } : {}),
      querystring,
    });
    // The twin's query adds the CSV dialect (safeExtend keeps the query's cross-field rules).
    const csvQuery = (query as unknown as z.ZodObject).safeExtend({ format: CsvFormatParam });
    const server = app as unknown as FastifyInstance;
    const call = (request: FastifyRequest) => request as FastifyRequest & { query: z.output<Q> };
    server.get(path, {
      config: access,
      schema: declareResponseHeaders(
        { ...describe(json), response: { 200: jsonOrCsv(json.schema, json.answer), ...problemsOf } },
        200,
        'DescribedBy',
      ) as FastifySchema,
      onSend: [varyByAccept, linkOnCsv(path)],
      handler: (request, reply) => send(call(request), reply, wantsCsv(request.headers.accept) ? 'csv' : null),
    });
    server.get(`${path}/csv`, {
      config: access,
      schema: declareResponseHeaders(
        { ...describe(csv, csvQuery), response: { 200: csvOnly(csv.answer), ...problemsOf } },
        200,
        'DescribedBy',
      ) as FastifySchema,
      onSend: linkOnCsv(path),
      handler: (request, reply) => send(call(request), reply, (request.query as { format: CsvFormat }).format),
    });
  };

  const table = async (request: StatisticsCall, reply: FastifyReply, csv: CsvFormat | null) => {
    const { rows, countingRule, resolved, reporting } = await statistics.table(contextOf(request), toRequest(request.query));
    const names = new Map(resolved.municipalities.map((m) => [m.code, m.name]));
    if (csv) return sendCsv(reply, 'enforcement-actions', tableCsv(countingRule.groupBy, rows, names, csv));
    const items = rows.map((r) => (r.municipalityCode ? { ...r, municipalityName: names.get(r.municipalityCode) ?? '' } : r));
    return reply.send({ countingRule, items, reporting } as never);
  };

  figures({
    path: '/statistics/enforcement-actions',
    access: roles('officer', 'analyst', 'admin'),
    query: StatisticsQuery,
    json: {
      operationId: 'getEnforcementActionStatistics',
      summary: 'Figures on enforcement actions (handhavingsstatistiek)',
      description: `Counts of enforcement actions (bestuurlijke handhavingsmaatregelen) and sums of fines and penalty orders, grouped by any of year, municipality, licenceStatus, measure, ground and stage. Analysts and admins see every municipality; an officer only their own (another municipality is a 403).${COUNTING}`,
      schema: StatisticsTable,
      answer: 'The figures and the counting rule.',
    },
    csv: {
      operationId: 'getEnforcementActionStatisticsCsv',
      summary: 'Figures on enforcement actions as CSV',
      description: `The same figures as /statistics/enforcement-actions, always as CSV (codes and Dutch labels), for clients that cannot set Accept and for spreadsheets: RFC 4180, or Dutch Excel's dialect with format=csv-excel.${COUNTING}`,
      answer: 'The figures as CSV.',
    },
    send: table,
  });

  app.get('/statistics/enforcement-actions/summary', {
    config: {
      ...roles('officer', 'analyst', 'admin'),
      // A script that asks for CSV only gets a 406 (plugins/content-negotiation.ts) that says where CSV is.
      notAcceptableHint:
        'The summary’s counts per licence status as CSV: GET /v1/statistics/enforcement-actions/csv?groupBy=licenceStatus with the same filters.',
    },
    schema: {
      operationId: 'getEnforcementActionSummary',
      summary: 'Totals and averages per municipality per year (gemiddelde per gemeente per jaar)',
      description: `Per licence status (vergund, onvergund): the number of actions, the municipalities and years in scope, and the average per municipality per year, where municipalities without any action count in the denominator. As in the letter of 24 March 2020: \`?programme=LPP&yearFrom=2017&yearTo=2019\`. JSON only.${RULE}`,
      tags,
      security: BEARER,
      querystring: StatisticsFilters,
      response: { 200: StatisticsSummary, ...problems(400, 406, ...AUTH_PROBLEMS) },
    },
    handler: async (request, reply) => {
      return reply.send((await statistics.summary(contextOf(request), request.query as StatisticsRequest)) as never);
    },
  });

  const observed = async (request: StatisticsCall, reply: FastifyReply, csv: CsvFormat | null) => {
    const { rows, countingRule } = await statistics.table(contextOf(request), toRequest(request.query), { yearCodes: true });
    const obs = observations(countingRule.groupBy, rows);
    if (csv) return sendCsv(reply, 'enforcement-action-observations', observationsCsv(countingRule.groupBy, obs, csv));
    return reply.send({ countingRule, items: obs } as never);
  };
  const OBSERVATIONS = `The same figures as /statistics/enforcement-actions, one row per value: Measure (Handhavingsmaatregelen_1 count, OpgelegdeBoetes_2, MaximaleDwangsommen_3, VerbeurdeDwangsommen_4 in euro cents), Value, and the grouped dimensions as CBS-style codes: RegioS (GM0363), Perioden (2019JJ00: grouped by year, the period is whole calendar years), Vergunningstatus, Maatregel, Grond, Fase.${COUNTING}`;

  figures({
    path: '/statistics/enforcement-actions/observations',
    access: roles('officer', 'analyst', 'admin'),
    query: StatisticsQuery,
    json: {
      operationId: 'listEnforcementActionObservations',
      summary: 'Figures as long-format observations (CBS StatLine style)',
      description: OBSERVATIONS,
      schema: Observations,
      answer: 'Observations and the counting rule.',
    },
    csv: {
      operationId: 'listEnforcementActionObservationsCsv',
      summary: 'Observations as CSV',
      description: `Always CSV: RFC 4180, or Dutch Excel's dialect with format=csv-excel. ${OBSERVATIONS}`,
      answer: 'The observations as CSV.',
    },
    send: observed,
  });

  const OPEN_DATA = `No token needed. Counts of enforcement actions (bestuurlijke handhavingsmaatregelen) over every registered municipality (in the years it exists) and every year with data, in the default counted stages, grouped by up to year, municipality, licenceStatus and measure; with totals per value of each dimension and a grand total. Every grouping (and every margin and total) is a view of one table protected jointly: counts from 1 below the threshold (STATISTICS_SUPPRESSION_THRESHOLD, default 5) are suppressed, and further values are suppressed until no suppressed value of any grouping is a linear combination of the published values of all groupings together (exact check). status tells reported, zero, nothing_to_report (the municipality attested a year without actions), not_reported and suppressed apart; zero also marks a 0 that covers no municipality-year in scope (a municipality in a year before it was formed or after it merged away). reporting lists the reporting status of every municipality-year in scope. Released daily: the first request after 00:00 UTC (release.moment) computes the release from the records as they are then (release.computedAt), and it is served unchanged until the next release, so polling within a day learns nothing new. The scope is fixed so that answers cannot be subtracted from each other; filter rows yourself. Analysts with a token get exact figures from /statistics/enforcement-actions.`;
  const openData = async (request: OpenDataCall, reply: FastifyReply, csv: CsvFormat | null) => {
    const groupBy = (request.query.groupBy ?? []) as OpenDataDimension[];
    const table = statistics.openData.view(await statistics.openData.current(), groupBy);
    if (csv) {
      return sendCsv(
        reply,
        'enforcement-actions-open-data',
        openDataCsv(table.countingRule.groupBy, table.cells, await statistics.municipalityNames(publicContext(request.id)), csv),
      );
    }
    return reply.send(table as never);
  };

  figures({
    path: '/open-data/enforcement-actions',
    query: OpenDataQuery,
    json: {
      operationId: 'getOpenEnforcementActionStatistics',
      summary: 'Open data: publishable figures on enforcement actions',
      description: `${OPEN_DATA} CSV (cells only) by Accept: text/csv, or at /open-data/enforcement-actions/csv.`,
      schema: OpenDataTable,
      answer: 'The publishable table.',
    },
    csv: {
      operationId: 'getOpenEnforcementActionStatisticsCsv',
      summary: 'Open data as CSV',
      description: `The cells of /open-data/enforcement-actions as CSV: RFC 4180, or Dutch Excel's dialect with format=csv-excel. ${OPEN_DATA}`,
      answer: 'The publishable cells as CSV.',
    },
    send: openData,
  });

  const OPEN_OBSERVATIONS =
    'No token needed. The table of /open-data/enforcement-actions (the same computation and the same moment), one row per published value: its cells, the totals per value of each dimension and the grand total, with T001 for a dimension summed over. ValueAttribute tells a value (None, 0 included) from a withheld one (Confidential) and a municipality-year that did not report (NotReported: no counted actions and no reporting attestation); Value is null for the last two. Codes and titles: /statistics/metadata.';
  const openObserved = async (request: OpenDataCall, reply: FastifyReply, csv: CsvFormat | null) => {
    const table = statistics.openData.view(await statistics.openData.current(), (request.query.groupBy ?? []) as OpenDataDimension[]);
    const items = openObservations(table);
    if (csv)
      return sendCsv(reply, 'enforcement-actions-open-data-observations', openObservationsCsv(table.countingRule.groupBy, items, csv));
    return reply.send({ countingRule: table.countingRule, threshold: table.threshold, items } as never);
  };

  figures({
    path: '/open-data/enforcement-actions/observations',
    query: OpenDataQuery,
    json: {
      operationId: 'listOpenEnforcementActionObservations',
      summary: 'Open data as long-format observations (CBS StatLine style)',
      description: `${OPEN_OBSERVATIONS} CSV by Accept: text/csv, or at /open-data/enforcement-actions/observations/csv.`,
      schema: OpenObservations,
      answer: 'The published values in long format.',
    },
    csv: {
      operationId: 'listOpenEnforcementActionObservationsCsv',
      summary: 'Open data observations as CSV',
      description: `Always CSV: RFC 4180, or Dutch Excel's dialect with format=csv-excel. ${OPEN_OBSERVATIONS}`,
      answer: 'The published values in long format, as CSV.',
    },
    send: openObserved,
  });
};

export default statisticsRoutes;
