import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { publicContext } from '../../application/context.js';
import { createReader } from '../../application/queries/read.js';
import type { Services } from '../../application/services.js';
import { statisticsMetadata } from '../../application/statistics/metadata.js';
import { StatisticsMetadata } from '../schemas/statistics-metadata.js';
import { problems } from './operations.js';

/** The statistics' metadata: public, like the codes and names it lists. */
const statisticsMetadataRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const read = createReader(services.database);
  app.get('/statistics/metadata', {
    schema: {
      operationId: 'getStatisticsMetadata',
      summary: 'Codes, titles, units and counting rule of the statistics (metadata)',
      description:
        'No token needed. Shaped like a CBS StatLine (OData v4) table’s metadata: `dimensions` (CBS Dimensions) with every code and its Dutch and English title (periods, municipalities with CBS code and name, licence statuses, measures, grounds, stages; T001 is a total), `measureCodes` (CBS MeasureCodes) with each quantity’s unit (count, or euro cents with the factor to euros), `valueAttributes` (CBS ValueAttribute codes in observations), the programmes, and the default counting rule as data. Periods run from the first to the last year with data, and over every year of the day’s open-data release once it is out (/open-data/enforcement-actions, release.moment), whose observations use them.',
      tags: ['Statistics'],
      response: { 200: StatisticsMetadata, ...problems(503) },
    },
    handler: async (request, reply) =>
      reply.send((await statisticsMetadata(read, publicContext(request.id), services.statistics.openData)) as never),
  });
};

export default statisticsMetadataRoutes;
