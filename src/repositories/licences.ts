import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, isNull, ne } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database, Tx } from '../db/client.js';
import { enforcementActions, licences } from '../db/schema.js';
import { checkLicence, type LicencePeriod, licenceStatusOn, overlaps } from '../domain/licences.js';
import { assertNoInvalidParams, conflict, notFound } from '../lib/problem.js';
import type { Licence, LicenceInput } from '../schemas/licences.js';
import { appendAudit } from '../services/audit.js';
import { type Actor, inTransaction, type Scope } from '../services/context.js';
import { toEnforcementAction } from './enforcement-actions.js';
import { assertEstablishmentVisible, lockEstablishment } from './establishments.js';
import { assertVersion, type PageRequest } from './shared.js';

type Row = typeof licences.$inferSelect;
export type LicenceView = z.infer<typeof Licence>;
type Input = z.infer<typeof LicenceInput>;

export function toLicence(r: Row): LicenceView {
  const history = r.statusHistory as LicenceView['statusHistory'];
  const latest = history[history.length - 1] as LicenceView['statusHistory'][number];
  return {
    id: r.id,
    establishmentId: r.establishmentId,
    licenceNumber: r.licenceNumber,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    status: latest.status,
    statusDate: latest.effectiveDate,
    statusHistory: history,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

const asPeriod = (r: Pick<Row, 'licenceNumber' | 'validFrom' | 'validUntil' | 'statusHistory'>): LicencePeriod => ({
  licenceNumber: r.licenceNumber,
  validFrom: r.validFrom,
  validUntil: r.validUntil,
  statusHistory: r.statusHistory as LicencePeriod['statusHistory'],
});

/** Rejects a licence that would be in force on a day another licence of the establishment is. */
async function assertNoOverlap(tx: Tx, establishmentId: string, candidate: LicencePeriod, exceptId?: string) {
  const others = await tx
    .select()
    .from(licences)
    .where(and(eq(licences.establishmentId, establishmentId), exceptId ? ne(licences.id, exceptId) : undefined));
  for (const o of others) {
    if (o.licenceNumber === candidate.licenceNumber) {
      throw conflict('licence-number-taken', `This establishment already has licence ${o.licenceNumber} (${o.id}).`);
    }
    if (overlaps(asPeriod(o), candidate)) {
      throw conflict(
        'licence-period-overlap',
        `Licence ${candidate.licenceNumber} would be in force on days licence ${o.licenceNumber} (${o.id}) already is; an establishment holds one licence at a time.`,
      );
    }
  }
}

/**
 * Re-derives `licenceStatus` of the establishment's live actions from its licence history, in the
 * caller's transaction. Each action whose status changes gets a new version and an audit entry.
 */
export async function rederiveLicenceStatus(tx: Tx, actor: Actor, establishmentId: string): Promise<number> {
  const history = (await tx.select().from(licences).where(eq(licences.establishmentId, establishmentId))).map(asPeriod);
  const actions = await tx
    .select()
    .from(enforcementActions)
    .where(and(eq(enforcementActions.establishmentId, establishmentId), isNull(enforcementActions.deletedAt)))
    .for('update');
  let changed = 0;
  const now = new Date();
  for (const a of actions) {
    const derived = licenceStatusOn(history, a.decisionDate);
    if (derived === a.licenceStatus) continue;
    const [updated] = await tx
      .update(enforcementActions)
      .set({ licenceStatus: derived, version: a.version + 1, updatedAt: now, updatedBy: actor.clientId ?? a.updatedBy })
      .where(eq(enforcementActions.id, a.id))
      .returning();
    await appendAudit(tx, actor, [
      {
        action: 'rederive',
        objectType: 'enforcement_action',
        objectId: a.id,
        municipalityCode: a.municipalityCode,
        before: toEnforcementAction(a),
        after: toEnforcementAction(updated as typeof a),
      },
    ]);
    changed += 1;
  }
  return changed;
}

export function createLicenceRepository(database: Database) {
  const { db } = database;

  async function list(scope: Scope, establishmentId: string, page: PageRequest) {
    await assertEstablishmentVisible(db, scope, establishmentId);
    const where = eq(licences.establishmentId, establishmentId);
    const [rows, totals] = await Promise.all([
      db
        .select()
        .from(licences)
        .where(where)
        .orderBy(asc(licences.validFrom), asc(licences.id))
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize),
      db.select({ n: count() }).from(licences).where(where),
    ]);
    return { items: rows.map(toLicence), totalItems: totals[0]?.n ?? 0 };
  }

  async function get(scope: Scope, establishmentId: string, licenceId: string): Promise<LicenceView | null> {
    const [row] = await db
      .select()
      .from(licences)
      .where(
        and(
          eq(licences.id, licenceId),
          eq(licences.establishmentId, establishmentId),
          scope.municipalityCode ? eq(licences.municipalityCode, scope.municipalityCode) : undefined,
        ),
      );
    return row ? toLicence(row) : null;
  }

  async function create(actor: Actor, scope: Scope, establishmentId: string, input: Input) {
    assertNoInvalidParams(checkLicence(input));
    return inTransaction(db, { ...scope, role: actor.role }, async (tx) => {
      const est = await lockEstablishment(tx, scope, establishmentId);
      const period = { ...input, validUntil: input.validUntil ?? null };
      await assertNoOverlap(tx, establishmentId, period);
      const now = new Date();
      const [row] = await tx
        .insert(licences)
        .values({
          id: randomUUID(),
          establishmentId,
          municipalityCode: est.municipalityCode,
          licenceNumber: input.licenceNumber,
          validFrom: input.validFrom,
          validUntil: period.validUntil,
          statusHistory: input.statusHistory,
          createdAt: now,
          updatedAt: now,
          createdBy: actor.clientId as string,
          updatedBy: actor.clientId as string,
        })
        .returning();
      const after = toLicence(row as Row);
      await appendAudit(tx, actor, [
        { action: 'create', objectType: 'licence', objectId: after.id, municipalityCode: est.municipalityCode, before: null, after },
      ]);
      await rederiveLicenceStatus(tx, actor, establishmentId);
      return after;
    });
  }

  async function lockLicence(tx: Tx, scope: Scope, establishmentId: string, licenceId: string) {
    await lockEstablishment(tx, scope, establishmentId);
    const [row] = await tx
      .select()
      .from(licences)
      .where(and(eq(licences.id, licenceId), eq(licences.establishmentId, establishmentId)))
      .for('update');
    if (!row) throw notFound(`Licence ${licenceId}`);
    return row;
  }

  async function replace(actor: Actor, scope: Scope, establishmentId: string, licenceId: string, expectedVersion: number, input: Input) {
    assertNoInvalidParams(checkLicence(input));
    return inTransaction(db, { ...scope, role: actor.role }, async (tx) => {
      const current = await lockLicence(tx, scope, establishmentId, licenceId);
      assertVersion('Licence', current.version, expectedVersion);
      const period = { ...input, validUntil: input.validUntil ?? null };
      await assertNoOverlap(tx, establishmentId, period, licenceId);
      const [row] = await tx
        .update(licences)
        .set({
          licenceNumber: input.licenceNumber,
          validFrom: input.validFrom,
          validUntil: period.validUntil,
          statusHistory: input.statusHistory,
          updatedAt: new Date(),
          updatedBy: actor.clientId as string,
          version: current.version + 1,
        })
        .where(eq(licences.id, licenceId))
        .returning();
      const after = toLicence(row as Row);
      await appendAudit(tx, actor, [
        {
          action: 'update',
          objectType: 'licence',
          objectId: licenceId,
          municipalityCode: current.municipalityCode,
          before: toLicence(current),
          after,
        },
      ]);
      await rederiveLicenceStatus(tx, actor, establishmentId);
      return after;
    });
  }

  async function remove(actor: Actor, scope: Scope, establishmentId: string, licenceId: string, expectedVersion: number) {
    return inTransaction(db, { ...scope, role: actor.role }, async (tx) => {
      const current = await lockLicence(tx, scope, establishmentId, licenceId);
      assertVersion('Licence', current.version, expectedVersion);
      await tx.delete(licences).where(eq(licences.id, licenceId));
      await appendAudit(tx, actor, [
        {
          action: 'delete',
          objectType: 'licence',
          objectId: licenceId,
          municipalityCode: current.municipalityCode,
          before: toLicence(current),
          after: null,
        },
      ]);
      await rederiveLicenceStatus(tx, actor, establishmentId);
    });
  }

  return { list, get, create, replace, remove };
}

export type LicenceRepository = ReturnType<typeof createLicenceRepository>;
