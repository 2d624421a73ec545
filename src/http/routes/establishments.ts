import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { Id, MunicipalityCode, Pagination, text } from '../schemas/common.js';
import {
  ESTABLISHMENT_READ_ONLY,
  Establishment,
  EstablishmentInput,
  EstablishmentKind,
  EstablishmentPage,
  EstablishmentPatch,
  EstablishmentReplace,
} from '../schemas/establishments.js';
import { createOne, deleteOne, listOf, operations, patchOne, readOne, replaceOne, roles } from './operations.js';
import { expectedVersion, paged, sendCreated, sendResource } from './replies.js';
import { mergePatched, replacement } from './revisions.js';

const op = operations('Establishments');
const params = z.object({ id: Id.meta({ description: 'The establishment’s id.' }) });

/** Seksinrichtingen: officers manage their own municipality's; admins may read all. */
const establishmentRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  app.get('/establishments', {
    config: roles('officer', 'admin'),
    schema: listOf(
      op(
        'listEstablishments',
        'List establishments (seksinrichtingen)',
        'Establishments the caller may see, ordered by municipality, name and id. Officers see only their own municipality’s.',
      ),
      Pagination.extend({
        municipalityCode: MunicipalityCode.optional(),
        kind: EstablishmentKind.optional(),
        name: text(1, 200).optional().meta({ description: 'Part of the name, case-insensitive.' }),
        postalCode: z
          .string()
          .regex(/^[1-9][0-9]{3}[A-Z]{2}$/)
          .optional(),
      }),
      EstablishmentPage,
    ),
    handler: async (request, reply) =>
      paged(request, reply, request.query, await queries.establishments.list(contextOf(request), request.query, request.query)),
  });

  app.post('/establishments', {
    config: roles('officer'),
    schema: createOne(
      op(
        'createEstablishment',
        'Register an establishment (seksinrichting)',
        'Registers a seksinrichting in the officer’s own municipality.',
      ),
      EstablishmentInput,
      Establishment,
    ),
    handler: async (request, reply) =>
      sendCreated(
        request,
        reply,
        await commands.establishments.create(contextOf(request), request.body),
        (e) => `/v1/establishments/${e.id}`,
      ),
  });

  app.get('/establishments/:id', {
    config: roles('officer', 'admin'),
    schema: readOne(
      op(
        'getEstablishment',
        'Read an establishment (seksinrichting)',
        'One establishment with its ETag. Another municipality’s establishment is a 404 for officers.',
      ),
      params,
      Establishment,
    ),
    handler: async (request, reply) =>
      sendResource(request, reply, await queries.establishments.get(contextOf(request), request.params.id)),
  });

  app.put('/establishments/:id', {
    config: roles('officer'),
    schema: replaceOne(
      op(
        'replaceEstablishment',
        'Correct an establishment (seksinrichting)',
        'Replaces the establishment’s fields: an optional field left out becomes null. A representation as GET returned it may be sent back (read-only fields unchanged). Requires If-Match; the municipality cannot change.',
      ),
      params,
      EstablishmentReplace,
      Establishment,
      409,
    ),
    handler: async (request, reply) => {
      const revision = replacement(request.body, ESTABLISHMENT_READ_ONLY);
      const updated = await commands.establishments.replace(contextOf(request), request.params.id, expectedVersion(request), revision);
      return sendResource(request, reply, updated);
    },
  });

  app.patch('/establishments/:id', {
    config: roles('officer'),
    schema: patchOne(
      op(
        'patchEstablishment',
        'Change some fields of an establishment (seksinrichting)',
        'JSON Merge Patch (RFC 7396, application/merge-patch+json): only the members sent change. Requires If-Match; the same rules as a PUT apply to the merged record.',
      ),
      params,
      EstablishmentPatch,
      Establishment,
      409,
    ),
    handler: async (request, reply) => {
      const revision = mergePatched(EstablishmentReplace, request.body, ESTABLISHMENT_READ_ONLY);
      const updated = await commands.establishments.replace(contextOf(request), request.params.id, expectedVersion(request), revision);
      return sendResource(request, reply, updated);
    },
  });

  app.delete('/establishments/:id', {
    config: roles('officer'),
    schema: deleteOne(
      op(
        'deleteEstablishment',
        'Delete an establishment (seksinrichting)',
        'Deletes an establishment that has no licences and no enforcement actions left. A tombstone and its audit trail remain. Requires If-Match and X-Audit-Reason.',
      ),
      params,
      409,
    ),
    handler: async (request, reply) => {
      await commands.establishments.remove(contextOf(request), request.params.id, expectedVersion(request));
      return reply.code(204).send();
    },
  });
};

export default establishmentRoutes;
