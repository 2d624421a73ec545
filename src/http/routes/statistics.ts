import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { publicContext } from '../../application/context.js';
import type { Services } from '../../application/services.js';
import { observations, observationsCsv, openDataCsv, tableCsv } from '../../application/statistics/csv.js';
import { openObservations, openObservationsCsv } from '../../application/statistics/metadata.js';
import type { StatisticsRequest } from '../../application/statistics/statistics.js';
import type { Dimension, OpenDataDimension } from '../../domain/statistics.js';
import { CSV_CONTENT_TYPE, wantsCsv } from '../../lib/csv.js';
import { contextOf } from '../plugins/auth.js';
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
const COUNTING =
  ' Counting rule (stated in every answer as countingRule): an action counts in the year of its decision date (besluitdatum); by default stages decided, objection, appeal and final are counted, never deleted actions; licensed or unlicensed is the licence status (exploitatievergunning) on the decision date; every municipality and year in scope appears, with 0 when it has no actions. Send `Accept: text/csv` (or use the `/csv` path) for RFC 4180 CSV with codes and Dutch labels.';

/** What the shared handlers read of a request: its query (parsed by the route's schema), id and headers. */
type StatisticsCall = FastifyRequest & { query: z.output<typeof StatisticsQuery> };
type OpenDataCall = FastifyRequest & { query: z.output<typeof OpenDataQuery> };

function toRequest(q: z.infer<typeof StatisticsFilters> & { groupBy?: Dimension[] | undefined }): StatisticsRequest {
  return { ...q, groupBy: q.groupBy ?? [] } as StatisticsRequest;
}

const csvOnly = (description: string) => ({ description, content: { 'text/csv': { schema: CsvBody } } });

function sendCsv(reply: FastifyReply, name: string, body: string) {
  return reply.type(CSV_CONTENT_TYPE).header('Content-Disposition', `attachment; filename="${name}.csv"`).send(body);
}

/** Figures for analysts (exact) and the public (open data, suppressed). */
const statisticsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { statistics } = services;

  const table = async (request: StatisticsCall, reply: FastifyReply, csv: boolean) => {
    const { rows, countingRule, resolved, reporting } = await statistics.table(contextOf(request), toRequest(request.query));
    const names = new Map(resolved.municipalities.map((m) => [m.code, m.name]));
    if (csv) return sendCsv(reply, 'enforcement-actions', tableCsv(countingRule.groupBy, rows, names));
    const items = rows.map((r) => (r.municipalityCode ? { ...r, municipalityName: names.get(r.municipalityCode) ?? '' } : r));
    return reply.send({ countingRule, items, reporting } as never);
  };

  app.get('/statistics/enforcement-actions', {
    config: roles('officer', 'analyst', 'admin'),
    schema: {
      operationId: 'getEnforcementActionStatistics',
      summary: 'Figures on enforcement actions (handhavingsstatistiek)',
      description: `Counts of enforcement actions (bestuurlijke handhavingsmaatregelen) and sums of fines and penalty orders, grouped by any of year, municipality, licenceStatus, measure, ground and stage. Analysts and admins see every municipality; an officer only their own (another municipality is a 403).${COUNTING}`,
      tags,
      security: BEARER,
      querystring: StatisticsQuery,
      response: { 200: jsonOrCsv(StatisticsTable, 'The figures and the counting rule.'), ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: (request, reply) => table(request, reply, wantsCsv(request.headers.accept)),
  });

  app.get('/statistics/enforcement-actions/csv', {
    config: roles('officer', 'analyst', 'admin'),
    schema: {
      operationId: 'getEnforcementActionStatisticsCsv',
      summary: 'Figures on enforcement actions as CSV',
      description: `The same figures as /statistics/enforcement-actions, always as RFC 4180 CSV (codes and Dutch labels), for clients that cannot set Accept.${COUNTING}`,
      tags,
      security: BEARER,
      querystring: StatisticsQuery,
      response: { 200: csvOnly('The figures as CSV.'), ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: (request, reply) => table(request, reply, true),
  });

  app.get('/statistics/enforcement-actions/summary', {
    config: roles('officer', 'analyst', 'admin'),
    schema: {
      operationId: 'getEnforcementActionSummary',
      summary: 'Totals and averages per municipality per year (gemiddelde per gemeente per jaar)',
      description: `Per licence status (vergund, onvergund): the number of actions, the municipalities and years in scope, and the average per municipality per year, where municipalities without any action count in the denominator. As in the letter of 24 March 2020: \`?programme=LPP&yearFrom=2017&yearTo=2019\`.${COUNTING}`,
      tags,
      security: BEARER,
      querystring: StatisticsFilters,
      response: { 200: StatisticsSummary, ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: async (request, reply) =>
      reply.send((await statistics.summary(contextOf(request), request.query as StatisticsRequest)) as never),
  });

  const observed = async (request: StatisticsCall, reply: FastifyReply, csv: boolean) => {
    const { rows, countingRule } = await statistics.table(contextOf(request), toRequest(request.query));
    const obs = observations(countingRule.groupBy, rows);
    if (csv) return sendCsv(reply, 'enforcement-action-observations', observationsCsv(countingRule.groupBy, obs));
    return reply.send({ countingRule, items: obs } as never);
  };
  const OBSERVATIONS = `The same figures as /statistics/enforcement-actions, one row per value: Measure (Handhavingsmaatregelen_1 count, OpgelegdeBoetes_2, MaximaleDwangsommen_3, VerbeurdeDwangsommen_4 in euro cents), Value, and the grouped dimensions as CBS-style codes: RegioS (GM0363), Perioden (2019JJ00), Vergunningstatus, Maatregel, Grond, Fase.${COUNTING}`;

  app.get('/statistics/enforcement-actions/observations', {
    config: roles('officer', 'analyst', 'admin'),
    schema: {
      operationId: 'listEnforcementActionObservations',
      summary: 'Figures as long-format observations (CBS StatLine style)',
      description: OBSERVATIONS,
      tags,
      security: BEARER,
      querystring: StatisticsQuery,
      response: { 200: jsonOrCsv(Observations, 'Observations and the counting rule.'), ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: (request, reply) => observed(request, reply, wantsCsv(request.headers.accept)),
  });

  app.get('/statistics/enforcement-actions/observations/csv', {
    config: roles('officer', 'analyst', 'admin'),
    schema: {
      operationId: 'listEnforcementActionObservationsCsv',
      summary: 'Observations as CSV',
      description: `Always CSV. ${OBSERVATIONS}`,
      tags,
      security: BEARER,
      querystring: StatisticsQuery,
      response: { 200: csvOnly('The observations as CSV.'), ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: (request, reply) => observed(request, reply, true),
  });

  const OPEN_DATA = `No token needed. Counts of enforcement actions (bestuurlijke handhavingsmaatregelen) over every registered municipality and every year with data, in the default counted stages, grouped by up to year, municipality, licenceStatus and measure; with totals per value of each dimension and a grand total. Every grouping (and every margin and total) is a view of one table protected jointly: counts from 1 below the threshold (STATISTICS_SUPPRESSION_THRESHOLD, default 5) are suppressed, and further values are suppressed until no suppressed value of any grouping is a linear combination of the published values of all groupings together (exact check). status tells reported, zero, nothing_to_report (the municipality attested a year without actions), not_reported and suppressed apart; reporting lists every municipality-year's reporting status. Released daily at 00:00 UTC (release.moment) and served unchanged until the next release, so polling cannot reveal a single new action. The scope is fixed so that answers cannot be subtracted from each other; filter rows yourself. Analysts with a token get exact figures from /statistics/enforcement-actions.`;
  const openData = async (request: OpenDataCall, reply: FastifyReply, csv: boolean) => {
    const groupBy = (request.query.groupBy ?? []) as OpenDataDimension[];
    const table = statistics.openData.view(await statistics.openData.current(), groupBy);
    if (csv) {
      return sendCsv(
        reply,
        'enforcement-actions-open-data',
        openDataCsv(table.countingRule.groupBy, table.cells, await statistics.municipalityNames(publicContext(request.id))),
      );
    }
    return reply.send(table as never);
  };

  app.get('/open-data/enforcement-actions', {
    schema: {
      operationId: 'getOpenEnforcementActionStatistics',
      summary: 'Open data: publishable figures on enforcement actions',
      description: `${OPEN_DATA} CSV (cells only) by Accept: text/csv, or at /open-data/enforcement-actions/csv.`,
      tags,
      querystring: OpenDataQuery,
      response: { 200: jsonOrCsv(OpenDataTable, 'The publishable table.'), ...problems(400, 429, 503) },
    },
    handler: (request, reply) => openData(request, reply, wantsCsv(request.headers.accept)),
  });

  app.get('/open-data/enforcement-actions/csv', {
    schema: {
      operationId: 'getOpenEnforcementActionStatisticsCsv',
      summary: 'Open data as CSV',
      description: `The cells of /open-data/enforcement-actions as RFC 4180 CSV. ${OPEN_DATA}`,
      tags,
      querystring: OpenDataQuery,
      response: { 200: csvOnly('The publishable cells as CSV.'), ...problems(400, 429, 503) },
    },
    handler: (request, reply) => openData(request, reply, true),
  });

  app.get('/open-data/enforcement-actions/observations', {
    schema: {
      operationId: 'listOpenEnforcementActionObservations',
      summary: 'Open data as long-format observations (CBS StatLine style)',
      description:
        'No token needed. The table of /open-data/enforcement-actions (the same computation and the same moment), one row per published value: its cells, the totals per value of each dimension and the grand total, with T001 for a dimension summed over. ValueAttribute tells a value (None, 0 included) from a withheld one (Confidential) and a municipality-year that did not report (NotReported: no counted actions and no reporting attestation); Value is null for the last two. Codes and titles: /statistics/metadata. CSV by Accept: text/csv.',
      tags,
      querystring: OpenDataQuery,
      response: { 200: jsonOrCsv(OpenObservations, 'The published values in long format.'), ...problems(400, 429, 503) },
    },
    handler: async (request, reply) => {
      const table = statistics.openData.view(await statistics.openData.current(), (request.query.groupBy ?? []) as OpenDataDimension[]);
      const items = openObservations(table);
      if (wantsCsv(request.headers.accept))
        return sendCsv(reply, 'enforcement-actions-open-data-observations', openObservationsCsv(table.countingRule.groupBy, items));
      return reply.send({ countingRule: table.countingRule, threshold: table.threshold, items } as never);
    },
  });
};

export default statisticsRoutes;
