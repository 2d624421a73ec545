import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { MunicipalityCode, Pagination } from '../schemas/common.js';
import { Municipality, MunicipalityCreate, MunicipalityPage, Programme } from '../schemas/municipalities.js';
import { AUTH_PROBLEMS, BEARER, ifMatchHeaders, ifNoneMatchHeaders, paged, problems, roles, sendCreated, sendResource } from './http.js';

const tags = ['Municipalities'];

/** Gemeenten: reference data every client may read; admins add municipalities beyond the LPP ten. */
const municipalityRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { commands, queries } = services;
  app.get('/municipalities', {
    config: roles('officer', 'analyst', 'admin'),
    schema: {
      operationId: 'listMunicipalities',
      summary: 'List municipalities (gemeenten)',
      description: 'Ordered by CBS code.',
      tags,
      security: BEARER,
      querystring: Pagination.extend({ programme: Programme.optional().meta({ description: 'Only members of this programme.' }) }),
      response: { 200: MunicipalityPage, ...problems(400, ...AUTH_PROBLEMS) },
    },
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
    schema: {
      operationId: 'getMunicipality',
      summary: 'Read a municipality (gemeente)',
      description: 'One municipality by its CBS code, with its ETag.',
      tags,
      security: BEARER,
      params: z.object({ code: MunicipalityCode }),
      headers: ifNoneMatchHeaders,
      response: { 200: Municipality, 304: z.undefined().meta({ description: 'Not modified.' }), ...problems(400, ...AUTH_PROBLEMS, 404) },
    },
    handler: async (request, reply) => {
      return sendResource(request, reply, await queries.municipalities.get(contextOf(request), request.params.code));
    },
  });

  app.post('/municipalities', {
    config: roles('admin'),
    schema: {
      operationId: 'createMunicipality',
      summary: 'Add a municipality (gemeente)',
      description: 'Adds a Dutch municipality by its CBS code, so its officers can record enforcement actions.',
      tags,
      security: BEARER,
      headers: ifMatchHeaders.pick({ 'x-audit-reason': true }),
      body: MunicipalityCreate,
      response: { 201: Municipality, ...problems(400, ...AUTH_PROBLEMS, 409, 413, 415) },
    },
    handler: async (request, reply) => {
      const created = await commands.municipalities.create(contextOf(request), request.body);
      return sendCreated(request, reply, created, (m) => `/v1/municipalities/${m.code}`);
    },
  });
};

export default municipalityRoutes;
