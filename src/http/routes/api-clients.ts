import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { ApiClient, ApiClientCreate, ApiClientPage, ApiClientWithToken } from '../schemas/api-clients.js';
import { Id, Pagination } from '../schemas/common.js';
import { AUTH_PROBLEMS, BEARER, ifMatchHeaders, operations, problems, roles } from './operations.js';
import { recordRoutes } from './records.js';
import { expectedVersion, sendResource } from './replies.js';

const op = operations('API clients');
const params = z.object({ id: Id.meta({ description: 'The API client’s id.' }) });

/** API clients and their tokens: admin only. A token is shown once, at creation. */
const apiClientRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/api-clients',
    params,
    record: ApiClient,
    access: { read: ['admin'], write: ['admin'] },
    create: {
      doc: op(
        'createApiClient',
        'Create an API client and its token',
        'The response holds the bearer token; it is shown only this once and stored only as a hash. Officers need a municipalityCode.',
      ),
      answer: ApiClientWithToken,
      config: { idempotencyWithheld: ['token'] },
      body: ApiClientCreate,
      run: (ctx, body) => commands.apiClients.create(ctx, body),
    },
    list: {
      doc: op('listApiClients', 'List API clients', 'Oldest first. Tokens are never shown again.'),
      query: Pagination,
      page: ApiClientPage,
      find: (ctx, page) => queries.apiClients.list(ctx, page),
    },
    read: {
      doc: op('getApiClient', 'Read an API client', 'One API client; its token is never shown again.'),
      find: (ctx, { id }) => queries.apiClients.get(ctx, id),
    },
  });

  app.delete('/api-clients/:id', {
    config: roles('admin'),
    schema: {
      ...op(
        'revokeApiClient',
        'Revoke an API client',
        'Its token stops working at once. The client stays listed, with revokedAt. Requires If-Match.',
      ),
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
