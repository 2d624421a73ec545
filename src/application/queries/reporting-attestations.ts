import { NotFound } from '../../domain/errors.js';
import type { Page, PageRequest } from '../../domain/records.js';
import { type AttestationFilters, findAttestation, listAttestations } from '../../infrastructure/repositories/reporting.js';
import { type ReportingAttestation, toReportingAttestation } from '../commands/reporting-attestations.js';
import type { RequestContext } from '../context.js';
import type { Reader } from './read.js';

export function createReportingAttestationQueries(read: Reader) {
  async function get(ctx: RequestContext, id: string): Promise<ReportingAttestation> {
    const row = await read.one(ctx, (tx) => findAttestation(tx, ctx.scope, id));
    if (!row) throw new NotFound(`Reporting attestation ${id}`);
    return toReportingAttestation(row);
  }

  async function list(ctx: RequestContext, filters: AttestationFilters, page: PageRequest): Promise<Page<ReportingAttestation>> {
    const { rows, totalItems } = await read.list(ctx, (tx) => listAttestations(tx, ctx.scope, filters, page));
    return { items: rows.map(toReportingAttestation), totalItems };
  }

  return { get, list };
}
