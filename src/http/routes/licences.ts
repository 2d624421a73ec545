import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { Id, Pagination } from '../schemas/common.js';
import { Licence, LicenceInput, LicencePage } from '../schemas/licences.js';
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
const establishmentParams = z.object({ id: Id.meta({ description: 'The establishment’s id.' }) });
const licenceParams = establishmentParams.extend({ licenceId: Id.meta({ description: 'The licence’s id.' }) });
const RECOMPUTE_NOTE =
  ' Changing the licence history re-derives licenceStatus of the establishment’s enforcement actions in the same transaction.';

/** Exploitatievergunningen of an establishment: a history, one licence in force at a time. */
const licenceRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { commands, queries } = services;
  app.get('/establishments/:id/licences', {
    config: roles('officer', 'admin'),
    schema: {
      operationId: 'listLicences',
      summary: 'List the licences (exploitatievergunningen) of an establishment',
      description: 'Oldest first (by validFrom).',
      tags,
      security: BEARER,
      params: establishmentParams,
      querystring: Pagination,
      response: { 200: LicencePage, ...problems(400, ...AUTH_PROBLEMS, 404) },
    },
    handler: async (request, reply) => {
      const { page, pageSize } = request.query;
      return paged(
        request,
        reply,
        { page, pageSize },
        await queries.licences.list(contextOf(request), request.params.id, { page, pageSize }),
      );
    },
  });

  app.post('/establishments/:id/licences', {
    config: roles('officer'),
    schema: {
      operationId: 'createLicence',
      summary: 'Record a licence (exploitatievergunning)',
      description: `Adds a licence to the establishment’s history. A licence in force on a day another one is in force is rejected (409).${RECOMPUTE_NOTE}`,
      tags,
      security: BEARER,
      params: establishmentParams,
      headers: ifMatchHeaders.pick({ 'x-audit-reason': true }),
      body: LicenceInput,
      response: { 201: Licence, ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415) },
    },
    handler: async (request, reply) => {
      const created = await commands.licences.create(contextOf(request), request.params.id, request.body);
      return sendCreated(request, reply, created, (l) => `/v1/establishments/${request.params.id}/licences/${l.id}`);
    },
  });

  app.get('/establishments/:id/licences/:licenceId', {
    config: roles('officer', 'admin'),
    schema: {
      operationId: 'getLicence',
      summary: 'Read a licence (exploitatievergunning)',
      description: 'One licence with its status history and ETag.',
      tags,
      security: BEARER,
      params: licenceParams,
      headers: ifNoneMatchHeaders,
      response: { 200: Licence, 304: z.undefined().meta({ description: 'Not modified.' }), ...problems(400, ...AUTH_PROBLEMS, 404) },
    },
    handler: async (request, reply) => {
      return sendResource(request, reply, await queries.licences.get(contextOf(request), request.params.id, request.params.licenceId));
    },
  });

  app.put('/establishments/:id/licences/:licenceId', {
    config: roles('officer'),
    schema: {
      operationId: 'replaceLicence',
      summary: 'Correct a licence (exploitatievergunning)',
      description: `Replaces the licence, for example to add a suspension (schorsing) or revocation (intrekking) to its history. Requires If-Match.${RECOMPUTE_NOTE}`,
      tags,
      security: BEARER,
      params: licenceParams,
      headers: ifMatchHeaders,
      body: LicenceInput,
      response: { 200: Licence, ...problems(400, ...AUTH_PROBLEMS, 404, 409, 412, 413, 415, 428) },
    },
    handler: async (request, reply) => {
      const updated = await commands.licences.replace(
        contextOf(request),
        request.params.id,
        request.params.licenceId,
        expectedVersion(request),
        request.body,
      );
      return sendResource(request, reply, updated);
    },
  });

  app.delete('/establishments/:id/licences/:licenceId', {
    config: roles('officer'),
    schema: {
      operationId: 'deleteLicence',
      summary: 'Delete a licence recorded in error',
      description: `Removes a licence that was recorded in error; the audit trail keeps it. Requires If-Match and X-Audit-Reason.${RECOMPUTE_NOTE}`,
      tags,
      security: BEARER,
      params: licenceParams,
      headers: deleteHeaders,
      response: { 204: z.undefined().meta({ description: 'Deleted.' }), ...problems(400, ...AUTH_PROBLEMS, 404, 412, 413, 415, 428) },
    },
    handler: async (request, reply) => {
      await commands.licences.remove(contextOf(request), request.params.id, request.params.licenceId, expectedVersion(request));
      return reply.code(204).send();
    },
  });
};

export default licenceRoutes;
