import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { MunicipalityCode, Pagination } from '../schemas/common.js';
import { Municipality, MunicipalityCreate, MunicipalityPage, Programme } from '../schemas/municipalities.js';
import { createOne, listOf, operations, readOne, roles } from './operations.js';
import { paged, sendCreated, sendResource } from './replies.js';

const tags = ['Municipalities'];
const op = operations('Municipalities');

/** Gemeenten: reference data every client may read; admins add municipalities beyond the LPP ten. */
const municipalityRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  app.get('/municipalities', {
    config: roles('officer', 'analyst', 'admin'),
    schema: listOf(
      { operationId: 'listMunicipalities', summary: 'List municipalities (gemeenten)', description: 'Ordered by CBS code.', tags },
      Pagination.extend({ programme: Programme.optional().meta({ description: 'Only members of this programme.' }) }),
      MunicipalityPage,
    ),
    handler: async (request, reply) => {
      const { page, pageSize, programme } = request.query;
      return paged(
        request,
        reply,
        { page, pageSize },
        await queries.municipalities.list(contextOf(request), programme, { page, pageSize }),
      );
    },
  });

  app.get('/municipalities/:code', {
    config: roles('officer', 'analyst', 'admin'),
    schema: readOne(
      op('getMunicipality', 'Read a municipality (gemeente)', 'One municipality by its CBS code, with its ETag.'),
      z.object({ code: MunicipalityCode }),
      Municipality,
    ),
    handler: async (request, reply) =>
      sendResource(request, reply, await queries.municipalities.get(contextOf(request), request.params.code)),
  });

  app.post('/municipalities', {
    config: roles('admin'),
    schema: createOne(
      op(
        'createMunicipality',
        'Add a municipality (gemeente)',
        'Adds a Dutch municipality by its CBS code, so its officers can record enforcement actions.',
      ),
      MunicipalityCreate,
      Municipality,
      409,
    ),
    handler: async (request, reply) =>
      sendCreated(
        request,
        reply,
        await commands.municipalities.create(contextOf(request), request.body),
        (m) => `/v1/municipalities/${m.code}`,
      ),
  });
};

export default municipalityRoutes;
