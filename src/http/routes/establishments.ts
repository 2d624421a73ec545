import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { Id, MunicipalityCode, Pagination } from '../schemas/common.js';
import { Establishment, EstablishmentInput, EstablishmentKind, EstablishmentPage } from '../schemas/establishments.js';
import {
  AUTH_PROBLEMS,
  BEARER,
  deleteHeaders,
  expectedVersion,
  ifMatchHeaders,
  ifNoneMatchHeaders,
  paged,
  problems,
  roles,
  sendCreated,
  sendResource,
} from './http.js';

const tags = ['Establishments'];
const params = z.object({ id: Id.meta({ description: 'The establishment’s id.' }) });

/** Seksinrichtingen: officers manage their own municipality's; admins may read all. */
const establishmentRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { commands, queries } = services;
  app.get('/establishments', {
    config: roles('officer', 'admin'),
    schema: {
      operationId: 'listEstablishments',
      summary: 'List establishments (seksinrichtingen)',
      description: 'Establishments the caller may see, ordered by municipality, name and id. Officers see only their own municipality’s.',
      tags,
      security: BEARER,
      querystring: Pagination.extend({
        municipalityCode: MunicipalityCode.optional(),
        kind: EstablishmentKind.optional(),
        name: z.string().min(1).max(200).optional().meta({ description: 'Part of the name, case-insensitive.' }),
        postalCode: z
          .string()
          .regex(/^[1-9][0-9]{3}[A-Z]{2}$/)
          .optional(),
      }),
      response: { 200: EstablishmentPage, ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: async (request, reply) => {
      const { page, pageSize, ...filters } = request.query;
      return paged(request, reply, { page, pageSize }, await queries.establishments.list(contextOf(request), filters, { page, pageSize }));
    },
  });

  app.post('/establishments', {
    config: roles('officer'),
    schema: {
      operationId: 'createEstablishment',
      summary: 'Register an establishment (seksinrichting)',
      description: 'Registers a seksinrichting in the officer’s own municipality.',
      tags,
      security: BEARER,
      headers: ifMatchHeaders.pick({ 'x-audit-reason': true }),
      body: EstablishmentInput,
      response: { 201: Establishment, ...problems(400, ...AUTH_PROBLEMS, 413, 415) },
    },
    handler: async (request, reply) => {
      const created = await commands.establishments.create(contextOf(request), request.body);
      return sendCreated(request, reply, created, (e) => `/v1/establishments/${e.id}`);
    },
  });

  app.get('/establishments/:id', {
    config: roles('officer', 'admin'),
    schema: {
      operationId: 'getEstablishment',
      summary: 'Read an establishment (seksinrichting)',
      description: 'One establishment with its ETag. Another municipality’s establishment is a 404 for officers.',
      tags,
      security: BEARER,
      params,
      headers: ifNoneMatchHeaders,
      response: { 200: Establishment, 304: z.undefined().meta({ description: 'Not modified.' }), ...problems(400, ...AUTH_PROBLEMS, 404) },
    },
    handler: async (request, reply) => {
      return sendResource(request, reply, await queries.establishments.get(contextOf(request), request.params.id));
    },
  });

  app.put('/establishments/:id', {
    config: roles('officer'),
    schema: {
      operationId: 'replaceEstablishment',
      summary: 'Correct an establishment (seksinrichting)',
      description: 'Replaces the establishment’s fields. Requires If-Match; the municipality cannot change.',
      tags,
      security: BEARER,
      params,
      headers: ifMatchHeaders,
      body: EstablishmentInput,
      response: { 200: Establishment, ...problems(400, ...AUTH_PROBLEMS, 404, 409, 412, 413, 415, 428) },
    },
    handler: async (request, reply) => {
      const updated = await commands.establishments.replace(contextOf(request), request.params.id, expectedVersion(request), request.body);
      return sendResource(request, reply, updated);
    },
  });

  app.delete('/establishments/:id', {
    config: roles('officer'),
    schema: {
      operationId: 'deleteEstablishment',
      summary: 'Delete an establishment (seksinrichting)',
      description:
        'Deletes an establishment that has no licences and no enforcement actions left. A tombstone and its audit trail remain. Requires If-Match and X-Audit-Reason.',
      tags,
      security: BEARER,
      params,
      headers: deleteHeaders,
      response: { 204: z.undefined().meta({ description: 'Deleted.' }), ...problems(400, ...AUTH_PROBLEMS, 404, 409, 412, 413, 415, 428) },
    },
    handler: async (request, reply) => {
      await commands.establishments.remove(contextOf(request), request.params.id, expectedVersion(request));
      return reply.code(204).send();
    },
  });
};

export default establishmentRoutes;
