import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { Id, MunicipalityCode, Pagination, yearInput } from '../schemas/common.js';
import { ReportingAttestation, ReportingAttestationInput, ReportingAttestationPage } from '../schemas/reporting-attestations.js';
import { orderedRanges } from '../schemas/rules.js';
import { operations } from './operations.js';
import { recordRoutes } from './records.js';

const op = operations('Reporting attestations');

/** Verklaringen van volledigheid: officers attest for their own municipality, admins for any; analysts read them. */
const reportingAttestationRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services: { commands, queries } }) => {
  recordRoutes(app, {
    path: '/reporting-attestations',
    params: z.object({ id: Id.meta({ description: 'The attestation’s id.' }) }),
    record: ReportingAttestation,
    access: { read: ['officer', 'analyst', 'admin'], write: ['officer', 'admin'] },
    list: {
      doc: op(
        'listReportingAttestations',
        'List reporting attestations (verklaringen van volledigheid)',
        'Live attestations, ordered by municipality, year and id. Officers see only their own municipality’s; withdrawn ones are not listed (their trail remains).',
      ),
      query: orderedRanges(
        Pagination.extend({
          municipalityCode: MunicipalityCode.optional(),
          yearFrom: yearInput('First reporting year.').optional(),
          yearTo: yearInput('Last reporting year, inclusive.').optional(),
        }),
        ['yearFrom', 'yearTo'],
      ),
      page: ReportingAttestationPage,
      find: (ctx, query) => queries.reportingAttestations.list(ctx, query, query),
    },
    create: {
      doc: op(
        'createReportingAttestation',
        'Attest that a year’s records are complete (verklaring van volledigheid)',
        'States for a municipality and year that its records are complete, with nothingToReport when no enforcement actions were taken. One live attestation per municipality and year (409 when one exists, with its Location; withdraw it first). nothingToReport is refused (409) when the year has counted actions. Officers attest for their own municipality only (403 otherwise).',
      ),
      body: ReportingAttestationInput,
      more: [409],
      headers: { 409: ['Location'] }, // the attestation that exists
      run: (ctx, body) => commands.reportingAttestations.create(ctx, body),
    },
    read: {
      doc: op(
        'getReportingAttestation',
        'Read a reporting attestation',
        'One attestation with its ETag. Another municipality’s is a 404 for officers.',
      ),
      find: (ctx, { id }) => queries.reportingAttestations.get(ctx, id),
    },
    remove: {
      doc: op(
        'withdrawReportingAttestation',
        'Withdraw a reporting attestation (intrekken)',
        'Withdraws the attestation: its municipality-year counts as not reported again (unless it has actions). A tombstone and its audit trail remain. Requires If-Match and X-Audit-Reason.',
      ),
      run: (ctx, { id }, version) => commands.reportingAttestations.withdraw(ctx, id, version),
    },
  });
};

export default reportingAttestationRoutes;
