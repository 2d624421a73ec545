import { asc, count, eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database } from '../db/client.js';
import { municipalities } from '../db/schema.js';
import { conflict } from '../lib/problem.js';
import type { Municipality, MunicipalityCreate } from '../schemas/municipalities.js';
import { appendAudit } from '../services/audit.js';
import { type Actor, inTransaction } from '../services/context.js';
import type { PageRequest } from './shared.js';

type Row = typeof municipalities.$inferSelect;
export type MunicipalityView = z.infer<typeof Municipality>;

export const toMunicipality = (r: Row): MunicipalityView => ({
  code: r.code,
  name: r.name,
  programmes: r.programmes as MunicipalityView['programmes'],
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

export function createMunicipalityRepository(database: Database) {
  const { db } = database;

  async function list(filters: { programme?: string | undefined }, page: PageRequest) {
    const where = filters.programme ? sql`${filters.programme} = any(${municipalities.programmes})` : undefined;
    const [rows, totals] = await Promise.all([
      db
        .select()
        .from(municipalities)
        .where(where)
        .orderBy(asc(municipalities.code))
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize),
      db.select({ n: count() }).from(municipalities).where(where),
    ]);
    return { items: rows.map(toMunicipality), totalItems: totals[0]?.n ?? 0 };
  }

  async function get(code: string) {
    const [row] = await db.select().from(municipalities).where(eq(municipalities.code, code));
    return row ? toMunicipality(row) : null;
  }

  async function create(actor: Actor, input: z.infer<typeof MunicipalityCreate>) {
    return inTransaction(db, { municipalityCode: null, role: actor.role }, async (tx) => {
      const now = new Date();
      const [row] = await tx
        .insert(municipalities)
        .values({ code: input.code, name: input.name, programmes: input.programmes, createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      if (!row) throw conflict('municipality-exists', `Municipality ${input.code} is already registered.`);
      const after = toMunicipality(row);
      await appendAudit(tx, actor, [
        { action: 'create', objectType: 'municipality', objectId: after.code, municipalityCode: after.code, before: null, after },
      ]);
      return after;
    });
  }

  return { list, get, create };
}

export type MunicipalityRepository = ReturnType<typeof createMunicipalityRepository>;
