import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { ApiClient, ApiClientCreate, ApiClientPage, ApiClientWithToken } from '../schemas/api-clients.js';
import { Id, Pagination } from '../schemas/common.js';
import { AUTH_PROBLEMS, BEARER, createOne, ifMatchHeaders, listOf, operations, problems, readOne, roles } from './operations.js';
import { expectedVersion, paged, sendCreated, sendResource } from './replies.js';

const tags = ['API clients'];
const op = operations('API clients');
const params = z.object({ id: Id });

/** API clients and their tokens: admin only. A token is shown once, at creation. */
const apiClientRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  app.post('/api-clients', {
    config: { ...roles('admin'), idempotencyWithheld: ['token'] },
    schema: createOne(
      op(
        'createApiClient',
        'Create an API client and its token',
        'The response holds the bearer token; it is shown only this once and stored only as a hash. Officers need a municipalityCode.',
      ),
      ApiClientCreate,
      ApiClientWithToken,
    ),
    handler: async (request, reply) =>
      sendCreated(request, reply, await commands.apiClients.create(contextOf(request), request.body), (c) => `/v1/api-clients/${c.id}`),
  });

  app.get('/api-clients', {
    config: roles('admin'),
    schema: listOf(
      { operationId: 'listApiClients', summary: 'List API clients', description: 'Oldest first. Tokens are never shown again.', tags },
      Pagination,
      ApiClientPage,
    ),
    handler: async (request, reply) => {
      const { page, pageSize } = request.query;
      return paged(request, reply, { page, pageSize }, await queries.apiClients.list(contextOf(request), { page, pageSize }));
    },
  });

  app.get('/api-clients/:id', {
    config: roles('admin'),
    schema: readOne(
      { operationId: 'getApiClient', summary: 'Read an API client', description: 'One API client; its token is never shown again.', tags },
      params,
      ApiClient,
    ),
    handler: async (request, reply) => sendResource(request, reply, await queries.apiClients.get(contextOf(request), request.params.id)),
  });

  app.delete('/api-clients/:id', {
    config: roles('admin'),
    schema: {
      operationId: 'revokeApiClient',
      summary: 'Revoke an API client',
      description: 'Its token stops working at once. The client stays listed, with revokedAt. Requires If-Match.',
      tags,
      security: BEARER,
      params,
      headers: ifMatchHeaders,
      response: { 200: ApiClient, ...problems(400, ...AUTH_PROBLEMS, 404, 409, 412, 413, 415, 428) },
    },
    handler: async (request, reply) => {
      const revoked = await commands.apiClients.revoke(contextOf(request), request.params.id, expectedVersion(request));
      return sendResource(request, reply, revoked);
    },
  });
};

export default apiClientRoutes;
