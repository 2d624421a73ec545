import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { ApiClient, ApiClientCreate, ApiClientPage, ApiClientWithToken } from '../schemas/api-clients.js';
import { Id, Pagination } from '../schemas/common.js';
import {
  AUTH_PROBLEMS,
  BEARER,
  expectedVersion,
  ifMatchHeaders,
  ifNoneMatchHeaders,
  paged,
  problems,
  roles,
  sendCreated,
  sendResource,
} from './http.js';

const tags = ['API clients'];
const params = z.object({ id: Id });

/** API clients and their tokens: admin only. A token is shown once, at creation. */
const apiClientRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { commands, queries } = services;
  app.post('/api-clients', {
    config: { ...roles('admin'), idempotencyWithheld: ['token'] },
    schema: {
      operationId: 'createApiClient',
      summary: 'Create an API client and its token',
      description:
        'The response holds the bearer token; it is shown only this once and stored only as a hash. Officers need a municipalityCode.',
      tags,
      security: BEARER,
      headers: ifMatchHeaders.pick({ 'x-audit-reason': true }),
      body: ApiClientCreate,
      response: { 201: ApiClientWithToken, ...problems(400, ...AUTH_PROBLEMS, 413, 415) },
    },
    handler: async (request, reply) => {
      const created = await commands.apiClients.create(contextOf(request), request.body);
      return sendCreated(request, reply, created, (c) => `/v1/api-clients/${c.id}`);
    },
  });

  app.get('/api-clients', {
    config: roles('admin'),
    schema: {
      operationId: 'listApiClients',
      summary: 'List API clients',
      description: 'Oldest first. Tokens are never shown again.',
      tags,
      security: BEARER,
      querystring: Pagination,
      response: { 200: ApiClientPage, ...problems(400, ...AUTH_PROBLEMS) },
    },
    handler: async (request, reply) => {
      const { page, pageSize } = request.query;
      return paged(request, reply, { page, pageSize }, await queries.apiClients.list(contextOf(request), { page, pageSize }));
    },
  });

  app.get('/api-clients/:id', {
    config: roles('admin'),
    schema: {
      operationId: 'getApiClient',
      summary: 'Read an API client',
      description: 'One API client; its token is never shown again.',
      tags,
      security: BEARER,
      params,
      headers: ifNoneMatchHeaders,
      response: { 200: ApiClient, 304: z.undefined().meta({ description: 'Not modified.' }), ...problems(400, ...AUTH_PROBLEMS, 404) },
    },
    handler: async (request, reply) => {
      return sendResource(request, reply, await queries.apiClients.get(contextOf(request), request.params.id));
    },
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
