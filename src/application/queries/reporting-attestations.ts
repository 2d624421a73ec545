import type { Page, PageRequest } from '../../domain/records.js';
import { type AttestationFilters, findAttestation, listAttestations } from '../../infrastructure/repositories/reporting.js';
import { type ReportingAttestation, toReportingAttestation } from '../commands/reporting-attestations.js';
import type { RequestContext } from '../context.js';
import type { Reader } from './read.js';

export function createReportingAttestationQueries(read: Reader) {
  const get = (ctx: RequestContext, id: string): Promise<ReportingAttestation> =>
    read.record(ctx, `Reporting attestation ${id}`, (tx) => findAttestation(tx, ctx.scope, id), toReportingAttestation);

  const list = (ctx: RequestContext, filters: AttestationFilters, page: PageRequest): Promise<Page<ReportingAttestation>> =>
    read.page(ctx, (tx) => listAttestations(tx, ctx.scope, filters, page), toReportingAttestation);

  return { get, list };
}
