import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import type { StatisticsRequest } from '../../application/statistics/statistics.js';
import { Pagination, wholeNumberParam } from '../schemas/common.js';
import { StatisticsRelease, StatisticsReleaseInput, StatisticsReleasePage } from '../schemas/statistics-releases.js';
import { operations } from './operations.js';
import { recordRoutes } from './records.js';

const op = operations('Statistics');

/** Numbered, immutable releases of statistics tables: published by admins, cited by analysts. */
const statisticsReleaseRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/statistics/releases',
    key: 'number',
    params: z.object({ number: wholeNumberParam(z.number().int().min(1).max(2_147_483_647)).meta({ description: 'The release number.' }) }),
    record: StatisticsRelease,
    access: { read: ['analyst', 'admin'], write: ['admin'] },
    list: {
      doc: op('listStatisticsReleases', 'List statistics releases (publicaties)', 'Every release, oldest first, without its figures.'),
      query: Pagination,
      page: StatisticsReleasePage,
      find: (ctx, query) => queries.statisticsReleases.list(ctx, query),
    },
    create: {
      doc: op(
        'createStatisticsRelease',
        'Publish a numbered release of a statistics table',
        'Computes the figures of the question (the same filters and grouping as /statistics/enforcement-actions) once, and stores them with the question, the counting rule and asOf under the next number. The release never changes: GET /statistics/releases/{number} answers the same figures forever, so a figure can be cited by release number.',
      ),
      body: StatisticsReleaseInput,
      // The stored figures are typed loosely (Record<string, unknown>); the response schema checks them.
      run: (ctx, { title, ...question }) =>
        commands.statisticsReleases.publish(ctx, title, { ...question, groupBy: question.groupBy ?? [] } as StatisticsRequest) as never,
    },
    read: {
      doc: op('getStatisticsRelease', 'Read a statistics release', 'The release as published: the same figures, every time.'),
      find: (ctx, { number }) => queries.statisticsReleases.get(ctx, number) as never,
    },
  });
};

export default statisticsReleaseRoutes;
