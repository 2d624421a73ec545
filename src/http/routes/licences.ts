import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { Id, Pagination } from '../schemas/common.js';
import { LICENCE_READ_ONLY, Licence, LicenceInput, LicencePage, LicencePatch, LicenceReplace } from '../schemas/licences.js';
import { createOne, deleteOne, listOf, operations, patchOne, readOne, replaceOne, roles } from './operations.js';
import { expectedVersion, paged, sendCreated, sendResource } from './replies.js';
import { mergePatched, replacement } from './revisions.js';

const op = operations('Establishments');
const establishmentParams = z.object({ id: Id.meta({ description: 'The establishment’s id.' }) });
const licenceParams = establishmentParams.extend({ licenceId: Id.meta({ description: 'The licence’s id.' }) });
const RECOMPUTE_NOTE =
  ' Changing the licence history re-derives licenceStatus of the establishment’s enforcement actions in the same transaction.';

/** Exploitatievergunningen of an establishment: a history, one licence in force at a time. */
const licenceRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  app.get('/establishments/:id/licences', {
    config: roles('officer', 'admin'),
    schema: {
      ...listOf(
        op('listLicences', 'List the licences (exploitatievergunningen) of an establishment', 'Oldest first (by validFrom).'),
        Pagination,
        LicencePage,
        404,
      ),
      params: establishmentParams,
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
      ...createOne(
        op(
          'createLicence',
          'Record a licence (exploitatievergunning)',
          `Adds a licence to the establishment’s history. A licence in force on a day another one is in force is rejected (409).${RECOMPUTE_NOTE}`,
        ),
        LicenceInput,
        Licence,
        404,
        409,
      ),
      params: establishmentParams,
    },
    handler: async (request, reply) =>
      sendCreated(
        request,
        reply,
        await commands.licences.create(contextOf(request), request.params.id, request.body),
        (l) => `/v1/establishments/${request.params.id}/licences/${l.id}`,
      ),
  });

  app.get('/establishments/:id/licences/:licenceId', {
    config: roles('officer', 'admin'),
    schema: readOne(
      op('getLicence', 'Read a licence (exploitatievergunning)', 'One licence with its status history and ETag.'),
      licenceParams,
      Licence,
    ),
    handler: async (request, reply) =>
      sendResource(request, reply, await queries.licences.get(contextOf(request), request.params.id, request.params.licenceId)),
  });

  app.put('/establishments/:id/licences/:licenceId', {
    config: roles('officer'),
    schema: replaceOne(
      op(
        'replaceLicence',
        'Correct a licence (exploitatievergunning)',
        `Replaces the licence, for example to add a suspension (schorsing) or revocation (intrekking) to its history: an optional field left out becomes null. A representation as GET returned it may be sent back (read-only fields unchanged). Requires If-Match.${RECOMPUTE_NOTE}`,
      ),
      licenceParams,
      LicenceReplace,
      Licence,
      409,
    ),
    handler: async (request, reply) => {
      const { id, licenceId } = request.params;
      const revision = replacement(request.body, LICENCE_READ_ONLY);
      return sendResource(
        request,
        reply,
        await commands.licences.replace(contextOf(request), id, licenceId, expectedVersion(request), revision),
      );
    },
  });

  app.patch('/establishments/:id/licences/:licenceId', {
    config: roles('officer'),
    schema: patchOne(
      op(
        'patchLicence',
        'Change some fields of a licence (exploitatievergunning)',
        `JSON Merge Patch (RFC 7396, application/merge-patch+json): only the members sent change; statusHistory, an array, is replaced whole. Requires If-Match; the same rules as a PUT apply to the merged licence.${RECOMPUTE_NOTE}`,
      ),
      licenceParams,
      LicencePatch,
      Licence,
      409,
    ),
    handler: async (request, reply) => {
      const { id, licenceId } = request.params;
      const revision = mergePatched(LicenceReplace, request.body, LICENCE_READ_ONLY);
      return sendResource(
        request,
        reply,
        await commands.licences.replace(contextOf(request), id, licenceId, expectedVersion(request), revision),
      );
    },
  });

  app.delete('/establishments/:id/licences/:licenceId', {
    config: roles('officer'),
    schema: deleteOne(
      op(
        'deleteLicence',
        'Delete a licence recorded in error',
        `Removes a licence that was recorded in error; the audit trail keeps it. Requires If-Match and X-Audit-Reason.${RECOMPUTE_NOTE}`,
      ),
      licenceParams,
    ),
    handler: async (request, reply) => {
      await commands.licences.remove(contextOf(request), request.params.id, request.params.licenceId, expectedVersion(request));
      return reply.code(204).send();
    },
  });
};

export default licenceRoutes;
