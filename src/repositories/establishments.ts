import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database, Queryable, Tx } from '../db/client.js';
import { enforcementActions, establishments, licences, municipalities } from '../db/schema.js';
import { badRequest, conflict, notFound } from '../lib/problem.js';
import type { Establishment, EstablishmentInput, EstablishmentKind } from '../schemas/establishments.js';
import { appendAudit } from '../services/audit.js';
import { type Actor, inTransaction, type Scope } from '../services/context.js';
import { assertVersion, type PageRequest } from './shared.js';

type Row = typeof establishments.$inferSelect;
export type EstablishmentView = z.infer<typeof Establishment>;
export type EstablishmentFilters = {
  municipalityCode?: string | undefined;
  kind?: z.infer<typeof EstablishmentKind> | undefined;
  name?: string | undefined;
  postalCode?: string | undefined;
};

export function toEstablishment(r: Row): EstablishmentView {
  return {
    id: r.id,
    municipalityCode: r.municipalityCode,
    name: r.name,
    kind: r.kind as EstablishmentView['kind'],
    address: {
      street: r.street,
      houseNumber: r.houseNumber,
      houseNumberAddition: r.houseNumberAddition,
      postalCode: r.postalCode,
      city: r.city,
    },
    kvkNumber: r.kvkNumber,
    bagId: r.bagId,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

const inputColumns = (i: z.infer<typeof EstablishmentInput>) => ({
  municipalityCode: i.municipalityCode,
  name: i.name,
  kind: i.kind,
  street: i.address.street,
  houseNumber: i.address.houseNumber,
  houseNumberAddition: i.address.houseNumberAddition ?? null,
  postalCode: i.address.postalCode,
  city: i.address.city,
  kvkNumber: i.kvkNumber ?? null,
  bagId: i.bagId ?? null,
});

const visible = (scope: Scope, id?: string): SQL =>
  and(
    isNull(establishments.deletedAt),
    scope.municipalityCode ? eq(establishments.municipalityCode, scope.municipalityCode) : undefined,
    id ? eq(establishments.id, id) : undefined,
  ) as SQL;

/** Locks and returns a live establishment the scope may see, or throws 404. */
export async function lockEstablishment(tx: Tx, scope: Scope, id: string): Promise<Row> {
  const [row] = await tx.select().from(establishments).where(visible(scope, id)).for('update');
  if (!row) throw notFound(`Establishment ${id}`);
  return row;
}

/** 404 unless the establishment is live and in scope (no lock: for reads). */
export async function assertEstablishmentVisible(q: Queryable, scope: Scope, id: string): Promise<void> {
  const [row] = await q.select({ id: establishments.id }).from(establishments).where(visible(scope, id));
  if (!row) throw notFound(`Establishment ${id}`);
}

async function assertMunicipalityExists(tx: Tx, code: string): Promise<void> {
  const [m] = await tx.select({ code: municipalities.code }).from(municipalities).where(eq(municipalities.code, code));
  if (!m) {
    throw badRequest([{ name: 'municipalityCode', code: 'unknown_municipality', reason: `municipality ${code} is not registered` }]);
  }
}

export function createEstablishmentRepository(database: Database) {
  const { db } = database;

  async function get(scope: Scope, id: string, q: Queryable = db): Promise<EstablishmentView | null> {
    const [row] = await q.select().from(establishments).where(visible(scope, id));
    return row ? toEstablishment(row) : null;
  }

  async function list(scope: Scope, f: EstablishmentFilters, page: PageRequest) {
    const where = and(
      visible(scope),
      f.municipalityCode ? eq(establishments.municipalityCode, f.municipalityCode) : undefined,
      f.kind ? eq(establishments.kind, f.kind) : undefined,
      f.postalCode ? eq(establishments.postalCode, f.postalCode) : undefined,
      f.name ? sql`${establishments.name} ilike ${`%${f.name.replace(/[\\%_]/g, '\\$&')}%`}` : undefined,
    );
    const [rows, totals] = await Promise.all([
      database.readDb
        .select()
        .from(establishments)
        .where(where)
        .orderBy(asc(establishments.municipalityCode), asc(establishments.name), asc(establishments.id))
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize),
      database.readDb.select({ n: count() }).from(establishments).where(where),
    ]);
    return { items: rows.map(toEstablishment), totalItems: totals[0]?.n ?? 0 };
  }

  async function create(actor: Actor, scope: Scope, input: z.infer<typeof EstablishmentInput>) {
    const now = new Date();
    return inTransaction(db, { ...scope, role: actor.role }, async (tx) => {
      await assertMunicipalityExists(tx, input.municipalityCode);
      const [row] = await tx
        .insert(establishments)
        .values({
          id: randomUUID(),
          ...inputColumns(input),
          createdAt: now,
          updatedAt: now,
          createdBy: actor.clientId as string,
          updatedBy: actor.clientId as string,
        })
        .returning();
      const after = toEstablishment(row as Row);
      await appendAudit(tx, actor, [
        {
          action: 'create',
          objectType: 'establishment',
          objectId: after.id,
          municipalityCode: after.municipalityCode,
          before: null,
          after,
        },
      ]);
      return after;
    });
  }

  async function replace(actor: Actor, scope: Scope, id: string, expectedVersion: number, input: z.infer<typeof EstablishmentInput>) {
    return inTransaction(db, { ...scope, role: actor.role }, async (tx) => {
      const current = await lockEstablishment(tx, scope, id);
      assertVersion('Establishment', current.version, expectedVersion);
      if (input.municipalityCode !== current.municipalityCode) {
        throw conflict('municipality-immutable', 'An establishment cannot move to another municipality; register it there anew.');
      }
      const [row] = await tx
        .update(establishments)
        .set({ ...inputColumns(input), updatedAt: new Date(), updatedBy: actor.clientId as string, version: current.version + 1 })
        .where(eq(establishments.id, id))
        .returning();
      const after = toEstablishment(row as Row);
      await appendAudit(tx, actor, [
        {
          action: 'update',
          objectType: 'establishment',
          objectId: id,
          municipalityCode: after.municipalityCode,
          before: toEstablishment(current),
          after,
        },
      ]);
      return after;
    });
  }

  /** Deletes an establishment that nothing refers to, keeping a tombstone and its trail. */
  async function remove(actor: Actor, scope: Scope, id: string, expectedVersion: number) {
    return inTransaction(db, { ...scope, role: actor.role }, async (tx) => {
      const current = await lockEstablishment(tx, scope, id);
      assertVersion('Establishment', current.version, expectedVersion);
      const [refs] = await tx
        .select({
          actions: sql<number>`(select count(*)::int from ${enforcementActions} where ${enforcementActions.establishmentId} = ${id} and ${enforcementActions.deletedAt} is null)`,
          licences: sql<number>`(select count(*)::int from ${licences} where ${licences.establishmentId} = ${id})`,
        })
        .from(sql`(select 1) as one`);
      if ((refs?.actions ?? 0) > 0 || (refs?.licences ?? 0) > 0) {
        throw conflict(
          'establishment-in-use',
          `Establishment ${id} still has ${refs?.actions} enforcement action(s) and ${refs?.licences} licence(s); delete those first.`,
        );
      }
      await tx
        .update(establishments)
        .set({ deletedAt: new Date(), deletedBy: actor.clientId, deleteReason: actor.reason, version: current.version + 1 })
        .where(eq(establishments.id, id));
      await appendAudit(tx, actor, [
        {
          action: 'delete',
          objectType: 'establishment',
          objectId: id,
          municipalityCode: current.municipalityCode,
          before: toEstablishment(current),
          after: null,
        },
      ]);
    });
  }

  return { get, list, create, replace, remove };
}

export type EstablishmentRepository = ReturnType<typeof createEstablishmentRepository>;
