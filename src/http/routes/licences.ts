import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { Id, Pagination } from '../schemas/common.js';
import { LICENCE_READ_ONLY, Licence, LicenceInput, LicencePage, LicencePatch, LicenceReplace } from '../schemas/licences.js';
import { operations } from './operations.js';
import { OWN_MUNICIPALITY, REFERENCE_TAKEN, recordRoutes } from './records.js';

const op = operations('Establishments');
const establishmentParams = z.object({ id: Id.meta({ description: 'The establishment’s id.' }) });
const RECOMPUTE_NOTE =
  ' Changing the licence history re-derives licenceStatus of the establishment’s enforcement actions in the same transaction.';

/** Exploitatievergunningen of an establishment: a history, one licence in force at a time. */
const licenceRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/establishments/:id/licences',
    pathParams: establishmentParams,
    item: '/establishments/:id/licences/:licenceId',
    params: establishmentParams.extend({ licenceId: Id.meta({ description: 'The licence’s id.' }) }),
    record: Licence,
    access: OWN_MUNICIPALITY,
    list: {
      doc: op('listLicences', 'List the licences (exploitatievergunningen) of an establishment', 'Oldest first (by validFrom).'),
      query: Pagination,
      page: LicencePage,
      more: [404],
      find: (ctx, query, { id }) => queries.licences.list(ctx, id, query),
    },
    create: {
      doc: op(
        'createLicence',
        'Record a licence (exploitatievergunning)',
        `Adds a licence to the establishment’s history. A licence in force on a day another one is in force is rejected (409).${RECOMPUTE_NOTE}`,
      ),
      body: LicenceInput,
      more: [404, 409],
      headers: REFERENCE_TAKEN,
      run: (ctx, body, { id }) => commands.licences.create(ctx, id, body),
    },
    read: {
      doc: op('getLicence', 'Read a licence (exploitatievergunning)', 'One licence with its status history and ETag.'),
      find: (ctx, { id, licenceId }) => queries.licences.get(ctx, id, licenceId),
    },
    replace: {
      doc: op(
        'replaceLicence',
        'Correct a licence (exploitatievergunning)',
        `Replaces the licence, for example to add a suspension (schorsing) or revocation (intrekking) to its history: an optional field left out becomes null. A representation as GET returned it may be sent back (read-only fields unchanged). Requires If-Match.${RECOMPUTE_NOTE}`,
      ),
      body: LicenceReplace,
      more: [409],
      headers: REFERENCE_TAKEN,
    },
    patch: {
      doc: op(
        'patchLicence',
        'Change some fields of a licence (exploitatievergunning)',
        `JSON Merge Patch (RFC 7396, application/merge-patch+json): only the members sent change; statusHistory, an array, is replaced whole. Requires If-Match; the same rules as a PUT apply to the merged licence.${RECOMPUTE_NOTE}`,
      ),
      body: LicencePatch,
      more: [409],
      headers: REFERENCE_TAKEN,
    },
    readOnly: LICENCE_READ_ONLY,
    update: (ctx, { id, licenceId }, version, revision) => commands.licences.replace(ctx, id, licenceId, version, revision),
    remove: {
      doc: op(
        'deleteLicence',
        'Delete a licence recorded in error',
        `Removes a licence that was recorded in error; the audit trail keeps it. Requires If-Match and X-Audit-Reason. A licence whose days start on or before the last day a destroyed licence of the establishment could be in force (Archiefwet) is not removed: 409 licence-history-destroyed.${RECOMPUTE_NOTE}`,
      ),
      more: [409],
      run: (ctx, { id, licenceId }, version) => commands.licences.remove(ctx, id, licenceId, version),
    },
  });
};

export default licenceRoutes;
