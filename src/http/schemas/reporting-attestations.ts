import { z } from 'zod';
import { checkAttestation } from '../../domain/reporting-attestations.js';
import { todayInNetherlands } from '../../lib/dates.js';
import { Id, MunicipalityCode, prose, Timestamp, Version, yearField } from './common.js';
import { pageOf } from './records.js';
import { alongsideSchemaIssues } from './rules.js';

const Year = z.number().int().min(1900).max(2200).meta({ description: 'The reporting year (verslagjaar), a calendar year.' });

const Statement = prose(1, 1000).nullable().optional().meta({
  description:
    'A short statement about the records, e.g. "Geen handhavingsbesluiten genomen in 2019." Never personal data: no names, e-mail addresses, phone numbers or BSNs (an e-mail address, a mobile number or a BSN is refused).',
});

export const ReportingAttestationInput = alongsideSchemaIssues(
  z.strictObject({
    municipalityCode: MunicipalityCode,
    year: yearField('The reporting year (verslagjaar), a calendar year; not one that has yet to begin.'),
    complete: z.literal(true).meta({ description: 'The records of this municipality and year are complete. Must be true.' }),
    nothingToReport: z
      .boolean()
      .meta({ description: 'true: no enforcement actions were taken this year (nothing to report); refused when counted actions exist.' }),
    statement: Statement,
  }),
  (body) => checkAttestation(body, todayInNetherlands()),
).meta({ id: 'ReportingAttestationWrite' });

export const ReportingAttestation = z
  .object({
    id: Id,
    municipalityCode: MunicipalityCode,
    year: Year,
    complete: z.literal(true).meta({ description: 'Always true: an attestation states that the records are complete.' }),
    nothingToReport: z.boolean(),
    statement: z.string().nullable(),
    attestedAt: Timestamp.meta({ description: 'When it was attested.' }),
    attestedBy: z.string().meta({ description: 'The API client (actor) that attested; the audit trail names it too.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Version,
  })
  .meta({
    id: 'ReportingAttestation',
    description:
      'Verklaring van volledigheid: a municipality states that its records for a year are complete, possibly with nothing to report. Statistics then tell a true 0 (nothing_to_report) from a 0 without one (not_reported).',
  });

export const ReportingAttestationPage = pageOf(ReportingAttestation, 'ReportingAttestationPage');
