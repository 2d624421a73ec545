import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { ExternalReference, Id, MunicipalityCode, Pagination, text } from '../schemas/common.js';
import {
  ESTABLISHMENT_READ_ONLY,
  Establishment,
  EstablishmentInput,
  EstablishmentKind,
  EstablishmentPage,
  EstablishmentPatch,
  EstablishmentReplace,
} from '../schemas/establishments.js';
import { operations } from './operations.js';
import { OWN_MUNICIPALITY, REFERENCE_FILTER, REFERENCE_TAKEN, recordRoutes } from './records.js';

const op = operations('Establishments');

/** Seksinrichtingen: officers manage their own municipality's; admins may read all. */
const establishmentRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/establishments',
    params: z.object({ id: Id.meta({ description: 'The establishment’s id.' }) }),
    record: Establishment,
    access: OWN_MUNICIPALITY,
    list: {
      doc: op(
        'listEstablishments',
        'List establishments (seksinrichtingen)',
        'Establishments the caller may see, ordered by municipality, name and id. Officers see only their own municipality’s.',
      ),
      query: Pagination.extend({
        municipalityCode: MunicipalityCode.optional(),
        kind: EstablishmentKind.optional(),
        name: text(1, 200).optional().meta({ description: 'Part of the name, case-insensitive.' }),
        postalCode: z
          .string()
          .regex(/^[1-9][0-9]{3}[A-Z]{2}$/)
          .optional()
          .meta({ description: 'Only establishments at this postal code (such as 1012AB, no space).' }),
        externalReference: ExternalReference.optional().meta({ description: REFERENCE_FILTER }),
      }),
      page: EstablishmentPage,
      find: (ctx, query) => queries.establishments.list(ctx, query, query),
    },
    create: {
      doc: op(
        'createEstablishment',
        'Register an establishment (seksinrichting)',
        'Registers a seksinrichting in the officer’s own municipality. An externalReference that another live establishment of the municipality has is a 409 (external-reference-taken) whose Location is that establishment.',
      ),
      body: EstablishmentInput,
      more: [409],
      headers: REFERENCE_TAKEN,
      run: (ctx, body) => commands.establishments.create(ctx, body),
    },
    read: {
      doc: op(
        'getEstablishment',
        'Read an establishment (seksinrichting)',
        'One establishment with its ETag. Another municipality’s establishment is a 404 for officers.',
      ),
      find: (ctx, { id }) => queries.establishments.get(ctx, id),
    },
    replace: {
      doc: op(
        'replaceEstablishment',
        'Correct an establishment (seksinrichting)',
        'Replaces the establishment’s fields: an optional field left out becomes null. A representation as GET returned it may be sent back (read-only fields unchanged). Requires If-Match; the municipality cannot change.',
      ),
      body: EstablishmentReplace,
      more: [409],
      headers: REFERENCE_TAKEN,
    },
    patch: {
      doc: op(
        'patchEstablishment',
        'Change some fields of an establishment (seksinrichting)',
        'JSON Merge Patch (RFC 7396, application/merge-patch+json): only the members sent change. Requires If-Match; the same rules as a PUT apply to the merged record.',
      ),
      body: EstablishmentPatch,
      more: [409],
      headers: REFERENCE_TAKEN,
    },
    readOnly: ESTABLISHMENT_READ_ONLY,
    update: (ctx, { id }, version, revision) => commands.establishments.replace(ctx, id, version, revision),
    remove: {
      doc: op(
        'deleteEstablishment',
        'Delete an establishment (seksinrichting)',
        'Deletes an establishment that has no licences and no enforcement actions left. A tombstone and its audit trail remain. Requires If-Match and X-Audit-Reason.',
      ),
      more: [409],
      run: (ctx, { id }, version) => commands.establishments.remove(ctx, id, version),
    },
  });
};

export default establishmentRoutes;
