import { randomUUID } from 'node:crypto';
import { COUNTED_STAGES } from '../../domain/enforcement-actions.js';
import { Conflict, Forbidden, RuleViolation } from '../../domain/errors.js';
import { checkAttestation } from '../../domain/reporting-attestations.js';
import {
  type AttestationRow,
  countedActions,
  findAttestation,
  findLiveAttestationFor,
  insertAttestation,
  lockAttestationYear,
  updateAttestation,
} from '../../infrastructure/repositories/reporting.js';
import { todayInNetherlands } from '../../lib/dates.js';
import type { RequestContext } from '../context.js';
import { assertMunicipalityExistsIn } from './municipalities.js';
import { type CommandRunner, createdRecord, stamps, tombstoneColumns } from './run.js';

/** What an officer (or admin) states: the municipality, the year, and whether there was nothing to report. */
export interface ReportingAttestationInput {
  municipalityCode: string;
  year: number;
  complete: true;
  nothingToReport: boolean;
  statement?: string | null | undefined;
}

/** A reporting attestation as the API shows it. */
export interface ReportingAttestation {
  id: string;
  municipalityCode: string;
  year: number;
  complete: true;
  nothingToReport: boolean;
  statement: string | null;
  attestedAt: string;
  attestedBy: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export const toReportingAttestation = (r: AttestationRow): ReportingAttestation => ({
  id: r.id,
  municipalityCode: r.municipalityCode,
  year: r.year,
  complete: true,
  nothingToReport: r.nothingToReport,
  statement: r.statement,
  attestedAt: r.attestedAt.toISOString(),
  attestedBy: r.attestedBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

/**
 * Verklaringen van volledigheid: an officer attests for their municipality (an admin for any) that
 * its records for a year are complete, possibly with nothing to report. Withdrawn, never edited:
 * a new statement is a new attestation after the old one is withdrawn (with a reason).
 */
export function createReportingAttestationCommands(runner: CommandRunner) {
  function create(ctx: RequestContext, input: ReportingAttestationInput) {
    if (ctx.municipalityCode && input.municipalityCode !== ctx.municipalityCode) {
      throw new Forbidden(`You may attest only for ${ctx.municipalityCode}.`);
    }
    const issues = checkAttestation(input, todayInNetherlands());
    if (issues.length) throw new RuleViolation(issues);
    return runner.create(ctx, async (tx) => {
      await assertMunicipalityExistsIn(tx, input.municipalityCode, input.year, 'year');
      await lockAttestationYear(tx, input.municipalityCode, input.year);
      const existing = await findLiveAttestationFor(tx, input.municipalityCode, input.year);
      if (existing) {
        throw new Conflict(
          'attestation-exists',
          `${input.municipalityCode} has attested ${input.year} already (${existing.id}); withdraw that one first.`,
          { location: `/v1/reporting-attestations/${existing.id}` },
        );
      }
      if (input.nothingToReport && (await countedActions(tx, input.municipalityCode, input.year, COUNTED_STAGES)) > 0) {
        throw new Conflict(
          'actions-exist',
          `${input.municipalityCode} has counted enforcement actions in ${input.year}: it cannot have had nothing to report.`,
        );
      }
      const now = new Date();
      const row = await insertAttestation(tx, {
        id: randomUUID(),
        municipalityCode: input.municipalityCode,
        year: input.year,
        complete: true,
        nothingToReport: input.nothingToReport,
        statement: input.statement ?? null,
        attestedAt: now,
        attestedBy: ctx.actor.clientId as string,
        ...stamps(ctx),
      });
      return createdRecord('reporting_attestation', row.id, row.municipalityCode, toReportingAttestation(row));
    });
  }

  /** Withdraws an attestation (intrekking): a tombstone with the reason, kept for its trail. */
  async function withdraw(ctx: RequestContext, id: string, expectedVersion: number): Promise<void> {
    await runner.change(ctx, {
      objectType: 'reporting_attestation',
      objectId: id,
      what: `Reporting attestation ${id}`,
      action: 'delete',
      expectedVersion,
      load: (tx) => findAttestation(tx, ctx.scope, id, true),
      write: async (tx, current) => {
        await updateAttestation(tx, id, {
          ...tombstoneColumns(ctx, current),
          updatedAt: new Date(),
          updatedBy: ctx.actor.clientId as string,
        });
        return null;
      },
      view: toReportingAttestation,
      municipalityCode: (r) => r.municipalityCode,
    });
  }

  return { create, withdraw };
}
