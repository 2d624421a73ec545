import type { KeyObject } from 'node:crypto';
import { NotFound } from '../../domain/errors.js';
import type { AuditEntry, Page, PageRequest } from '../../domain/records.js';
import { listCheckpoints } from '../../infrastructure/audit/checkpoints.js';
import { type AuditAnchor, type AuditVerification, verifyDatabase } from '../../infrastructure/audit/verify.js';
import { type AuditTrailFilters, searchTrail, trailOf, trailOfEstablishment } from '../../infrastructure/repositories/audit-trail.js';
import { findEnforcementActionEver } from '../../infrastructure/repositories/enforcement-actions.js';
import { findEstablishmentEver } from '../../infrastructure/repositories/establishments.js';
import type { RequestContext } from '../context.js';
import { toAuditEntry } from '../records.js';
import type { Reader } from './read.js';

/**
 * Reading the audit trail (audittrail). A record's trail follows the record's own access rule — the
 * tenant scope, so another municipality's record is a 404 — and stays readable after the record was
 * deleted (its tombstone still names its municipality).
 */
export function createAuditTrailQueries(read: Reader, checkpointKey: KeyObject | null = null) {
  const entries = (p: { rows: Parameters<typeof toAuditEntry>[0][]; totalItems: number }): Page<AuditEntry> => ({
    items: p.rows.map(toAuditEntry),
    totalItems: p.totalItems,
  });

  async function forEnforcementAction(ctx: RequestContext, id: string, page: PageRequest) {
    return entries(
      await read.one(ctx, async (tx) => {
        if (!(await findEnforcementActionEver(tx, ctx.scope, id))) throw new NotFound(`Enforcement action ${id}`);
        return trailOf(tx, ctx.scope, 'enforcement_action', id, page);
      }),
    );
  }

  /** The trail of one establishment and of its licences. */
  async function forEstablishment(ctx: RequestContext, id: string, page: PageRequest) {
    return entries(
      await read.one(ctx, async (tx) => {
        if (!(await findEstablishmentEver(tx, ctx.scope, id))) throw new NotFound(`Establishment ${id}`);
        return trailOfEstablishment(tx, ctx.scope, id, page);
      }),
    );
  }

  /** The whole trail, filtered (admins). */
  async function search(ctx: RequestContext, filters: AuditTrailFilters, page: PageRequest) {
    return entries(await read.list(ctx, (tx) => searchTrail(tx, filters, page)));
  }

  /** Walks the hash chain and cross-checks every record against it (all municipalities: admins). */
  function verify(ctx: RequestContext, anchor?: AuditAnchor): Promise<AuditVerification> {
    return read.one(ctx, (tx) => verifyDatabase(tx, anchor, { publicKey: checkpointKey }));
  }

  /** The signed checkpoints, oldest first (public: their worth is in being kept by others). */
  function checkpoints(ctx: RequestContext, page: PageRequest) {
    return read.list(ctx, (tx) => listCheckpoints(tx, page));
  }

  return { forEnforcementAction, forEstablishment, search, verify, checkpoints };
}
