import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import type { StatisticsRequest } from '../../application/statistics/statistics.js';
import { contextOf } from '../plugins/auth.js';
import { Pagination } from '../schemas/common.js';
import { StatisticsRelease, StatisticsReleaseInput, StatisticsReleasePage } from '../schemas/statistics-releases.js';
import { createOne, listOf, operations, readOne, roles } from './operations.js';
import { paged, sendCreated, sendResource } from './replies.js';

const op = operations('Statistics');
const params = z.object({ number: z.coerce.number().int().min(1).max(2_147_483_647).meta({ description: 'The release number.' }) });

/** Numbered, immutable releases of statistics tables: published by admins, cited by analysts. */
const statisticsReleaseRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  app.get('/statistics/releases', {
    config: roles('analyst', 'admin'),
    schema: listOf(
      op('listStatisticsReleases', 'List statistics releases (publicaties)', 'Every release, oldest first, without its figures.'),
      Pagination,
      StatisticsReleasePage,
    ),
    handler: async (request, reply) =>
      paged(request, reply, request.query, await queries.statisticsReleases.list(contextOf(request), request.query)) as never,
  });

  app.post('/statistics/releases', {
    config: roles('admin'),
    schema: createOne(
      op(
        'createStatisticsRelease',
        'Publish a numbered release of a statistics table',
        'Computes the figures of the question (the same filters and grouping as /statistics/enforcement-actions) once, and stores them with the question, the counting rule and asOf under the next number. The release never changes: GET /statistics/releases/{number} answers the same figures forever, so a figure can be cited by release number.',
      ),
      StatisticsReleaseInput,
      StatisticsRelease,
    ),
    handler: async (request, reply) => {
      const { title, ...question } = request.body;
      const req = { ...question, groupBy: question.groupBy ?? [] } as StatisticsRequest;
      return sendCreated(
        request,
        reply,
        await commands.statisticsReleases.publish(contextOf(request), title, req),
        (r) => `/v1/statistics/releases/${r.number}`,
      ) as never;
    },
  });

  app.get('/statistics/releases/:number', {
    config: roles('analyst', 'admin'),
    schema: readOne(
      op('getStatisticsRelease', 'Read a statistics release', 'The release as published: the same figures, every time.'),
      params,
      StatisticsRelease,
    ),
    handler: async (request, reply) =>
      sendResource(request, reply, await queries.statisticsReleases.get(contextOf(request), request.params.number)) as never,
  });
};

export default statisticsReleaseRoutes;
