import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { dateInput, ExternalReference, Id, MunicipalityCode, Pagination } from '../schemas/common.js';
import {
  ACTION_READ_ONLY,
  EnforcementAction,
  EnforcementActionInput,
  EnforcementActionPage,
  EnforcementActionPatch,
  EnforcementActionReplace,
  Ground,
  LicenceStatusAtDecision,
  Measure,
  Stage,
  zgwUrlFilter,
} from '../schemas/enforcement-actions.js';
import { orderedRanges } from '../schemas/rules.js';
import { operations } from './operations.js';
import { OWN_MUNICIPALITY, REFERENCE_FILTER, REFERENCE_TAKEN, recordRoutes } from './records.js';

const op = operations('Enforcement actions');
const RULES =
  ' Rules, each with its own code in invalidParams: amounts are whole cents above 0; a penalty order has a unit, an amount, a maximum of at least the amount and a compliance deadline not before the decision date; a closure does not end before it starts; the decision date is not in the future; grounds are not empty and do not repeat; fine, penalty and closure appear only with their measure; a warning cannot be in objection or appeal. An externalReference that another live action of the municipality has is a 409 (external-reference-taken) whose Location is that action.';

/** Bestuurlijke handhavingsmaatregelen: officers manage their own municipality's; admins may read all. */
const enforcementActionRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/enforcement-actions',
    params: z.object({ id: Id.meta({ description: 'The enforcement action’s id.' }) }),
    record: EnforcementAction,
    access: OWN_MUNICIPALITY,
    list: {
      doc: op(
        'listEnforcementActions',
        'List enforcement actions (handhavingsmaatregelen)',
        'Newest decision first, then by id. Officers see only their own municipality’s; deleted actions are left out.',
      ),
      query: orderedRanges(
        Pagination.extend({
          municipalityCode: MunicipalityCode.optional(),
          establishmentId: Id.optional().meta({ description: 'Only the actions against this establishment.' }),
          measure: Measure.optional(),
          ground: Ground.optional(),
          licenceStatus: LicenceStatusAtDecision.optional(),
          stage: Stage.optional(),
          decisionDateFrom: dateInput('Decisions on or after this date.').optional(),
          decisionDateTo: dateInput('Decisions on or before this date.').optional(),
          zaakUrl: zgwUrlFilter('zaak', 'Only actions linked to this zaak (exact match).').optional(),
          besluitUrl: zgwUrlFilter('besluit', 'Only actions linked to this besluit (exact match).').optional(),
          externalReference: ExternalReference.optional().meta({ description: REFERENCE_FILTER }),
        }),
        ['decisionDateFrom', 'decisionDateTo'],
      ),
      page: EnforcementActionPage,
      find: (ctx, query) => queries.enforcementActions.list(ctx, query, query),
    },
    create: {
      doc: op(
        'createEnforcementAction',
        'Record an enforcement action (handhavingsmaatregel)',
        `Records one decision of the burgemeester against one of the officer’s establishments. licenceStatus is derived from the licence history at decisionDate.${RULES}`,
      ),
      body: EnforcementActionInput,
      more: [409],
      headers: REFERENCE_TAKEN,
      run: (ctx, body) => commands.enforcementActions.create(ctx, body),
    },
    read: {
      doc: op(
        'getEnforcementAction',
        'Read an enforcement action (handhavingsmaatregel)',
        'One action with its derived licenceStatus and ETag. Another municipality’s action is a 404 for officers.',
      ),
      find: (ctx, { id }) => queries.enforcementActions.get(ctx, id),
    },
    replace: {
      doc: op(
        'replaceEnforcementAction',
        'Correct an enforcement action (handhavingsmaatregel)',
        `Replaces the action’s fields: an optional field left out becomes null (to change a few fields, PATCH). A representation as GET returned it may be sent back (read-only fields unchanged). Requires If-Match. The establishment cannot change; the stage moves only along the lifecycle (nothing leaves withdrawn or annulled).${RULES}`,
      ),
      body: EnforcementActionReplace,
      more: [409],
      headers: REFERENCE_TAKEN,
    },
    patch: {
      doc: op(
        'patchEnforcementAction',
        'Change some fields of an enforcement action (handhavingsmaatregel)',
        `JSON Merge Patch (RFC 7396, application/merge-patch+json), for example \`{"stage": "objection"}\` to move it into bezwaar: only the members sent change. Requires If-Match; the same rules as a PUT apply to the merged action.${RULES}`,
      ),
      body: EnforcementActionPatch,
      more: [409],
      headers: REFERENCE_TAKEN,
    },
    readOnly: ACTION_READ_ONLY,
    update: (ctx, { id }, version, revision) => commands.enforcementActions.replace(ctx, id, version, revision),
    remove: {
      doc: op(
        'deleteEnforcementAction',
        'Delete an enforcement action recorded in error',
        'Deletes the action: it leaves lists and statistics, but a tombstone and its audit trail remain. Requires If-Match and X-Audit-Reason. An action that was withdrawn or annulled should get that stage instead.',
      ),
      run: (ctx, { id }, version) => commands.enforcementActions.remove(ctx, id, version),
    },
  });
};

export default enforcementActionRoutes;
