import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { contextOf } from '../plugins/auth.js';
import { Id, MunicipalityCode, Pagination, yearInput } from '../schemas/common.js';
import { ReportingAttestation, ReportingAttestationInput, ReportingAttestationPage } from '../schemas/reporting-attestations.js';
import { createOne, deleteOne, listOf, operations, readOne, roles } from './operations.js';
import { expectedVersion, paged, sendCreated, sendResource } from './replies.js';

const op = operations('Reporting attestations');
const params = z.object({ id: Id.meta({ description: 'The attestation’s id.' }) });

/** Verklaringen van volledigheid: officers attest for their own municipality, admins for any; analysts read them. */
const reportingAttestationRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  app.get('/reporting-attestations', {
    config: roles('officer', 'analyst', 'admin'),
    schema: listOf(
      op(
        'listReportingAttestations',
        'List reporting attestations (verklaringen van volledigheid)',
        'Live attestations, ordered by municipality, year and id. Officers see only their own municipality’s; withdrawn ones are not listed (their trail remains).',
      ),
      Pagination.extend({
        municipalityCode: MunicipalityCode.optional(),
        yearFrom: yearInput('First reporting year.').optional(),
        yearTo: yearInput('Last reporting year, inclusive.').optional(),
      }),
      ReportingAttestationPage,
    ),
    handler: async (request, reply) =>
      paged(request, reply, request.query, await queries.reportingAttestations.list(contextOf(request), request.query, request.query)),
  });

  app.post('/reporting-attestations', {
    config: roles('officer', 'admin'),
    schema: createOne(
      op(
        'createReportingAttestation',
        'Attest that a year’s records are complete (verklaring van volledigheid)',
        'States for a municipality and year that its records are complete, with nothingToReport when no enforcement actions were taken. One live attestation per municipality and year (409 when one exists; withdraw it first). nothingToReport is refused (409) when the year has counted actions. Officers attest for their own municipality only (403 otherwise).',
      ),
      ReportingAttestationInput,
      ReportingAttestation,
      409,
    ),
    handler: async (request, reply) =>
      sendCreated(
        request,
        reply,
        await commands.reportingAttestations.create(contextOf(request), request.body),
        (a) => `/v1/reporting-attestations/${a.id}`,
      ),
  });

  app.get('/reporting-attestations/:id', {
    config: roles('officer', 'analyst', 'admin'),
    schema: readOne(
      op(
        'getReportingAttestation',
        'Read a reporting attestation',
        'One attestation with its ETag. Another municipality’s is a 404 for officers.',
      ),
      params,
      ReportingAttestation,
    ),
    handler: async (request, reply) =>
      sendResource(request, reply, await queries.reportingAttestations.get(contextOf(request), request.params.id)),
  });

  app.delete('/reporting-attestations/:id', {
    config: roles('officer', 'admin'),
    schema: deleteOne(
      op(
        'withdrawReportingAttestation',
        'Withdraw a reporting attestation (intrekken)',
        'Withdraws the attestation: its municipality-year counts as not reported again (unless it has actions). A tombstone and its audit trail remain. Requires If-Match and X-Audit-Reason.',
      ),
      params,
    ),
    handler: async (request, reply) => {
      await commands.reportingAttestations.withdraw(contextOf(request), request.params.id, expectedVersion(request));
      return reply.code(204).send();
    },
  });
};

export default reportingAttestationRoutes;
