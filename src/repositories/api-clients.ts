import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, asc, count, eq, isNull } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database } from '../db/client.js';
import { apiClients, municipalities } from '../db/schema.js';
import { assertNoInvalidParams, HttpProblem, type InvalidParam, notFound } from '../lib/problem.js';
import type { ApiClient, ApiClientCreate } from '../schemas/api-clients.js';
import { appendAudit } from '../services/audit.js';
import { type Actor, inTransaction, type Principal } from '../services/context.js';
import { authCacheTtlMs, TokenCache } from '../services/token-cache.js';
import { assertVersion, type PageRequest } from './shared.js';

type Row = typeof apiClients.$inferSelect;
export type ApiClientView = z.infer<typeof ApiClient>;

/** Tokens are 256 random bits, so one SHA-256 is enough to store them safely (no slow hash needed). */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');
const newToken = () => `er_${randomBytes(32).toString('base64url')}`;

export const toApiClient = (r: Row): ApiClientView => ({
  id: r.id,
  name: r.name,
  role: r.role as ApiClientView['role'],
  municipalityCode: r.municipalityCode,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt ? r.revokedAt.toISOString() : null,
  version: r.version,
});

export const BOOTSTRAP_ADMIN_NAME = 'bootstrap-admin';

export function createApiClientRepository(database: Database, opts: { authCacheTtlMs?: number } = {}) {
  const { db } = database;
  const tokens = new TokenCache(opts.authCacheTtlMs ?? authCacheTtlMs());

  /** The live client holding this token, or null (cached briefly: see TokenCache). */
  async function authenticate(token: string): Promise<Principal | null> {
    const tokenHash = hashToken(token);
    const cached = tokens.get(tokenHash);
    if (cached) return cached;
    const [row] = await db
      .select({ id: apiClients.id, name: apiClients.name, role: apiClients.role, municipalityCode: apiClients.municipalityCode })
      .from(apiClients)
      .where(and(eq(apiClients.tokenHash, tokenHash), isNull(apiClients.revokedAt)));
    if (!row) return null;
    const principal: Principal = {
      clientId: row.id,
      name: row.name,
      role: row.role as Principal['role'],
      municipalityCode: row.municipalityCode,
    };
    tokens.set(tokenHash, principal);
    return principal;
  }

  async function list(page: PageRequest) {
    const [rows, totals] = await Promise.all([
      db
        .select()
        .from(apiClients)
        .orderBy(asc(apiClients.createdAt), asc(apiClients.id))
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize),
      db.select({ n: count() }).from(apiClients),
    ]);
    return { items: rows.map(toApiClient), totalItems: totals[0]?.n ?? 0 };
  }

  async function get(id: string) {
    const [row] = await db.select().from(apiClients).where(eq(apiClients.id, id));
    return row ? toApiClient(row) : null;
  }

  async function create(actor: Actor, input: z.infer<typeof ApiClientCreate>) {
    const issues: InvalidParam[] = [];
    const code = input.municipalityCode ?? null;
    if (input.role === 'officer' && !code) {
      issues.push({ name: 'municipalityCode', code: 'required_for_officer', reason: 'an officer belongs to one municipality' });
    }
    if (input.role !== 'officer' && code) {
      issues.push({ name: 'municipalityCode', code: 'only_for_officer', reason: `a ${input.role} is not bound to a municipality` });
    }
    assertNoInvalidParams(issues);
    return inTransaction(db, { municipalityCode: null, role: actor.role }, async (tx) => {
      if (code) {
        const [m] = await tx.select({ code: municipalities.code }).from(municipalities).where(eq(municipalities.code, code));
        if (!m)
          assertNoInvalidParams([
            { name: 'municipalityCode', code: 'unknown_municipality', reason: `municipality ${code} is not registered` },
          ]);
      }
      const token = newToken();
      const [row] = await tx
        .insert(apiClients)
        .values({
          id: randomUUID(),
          name: input.name,
          role: input.role,
          municipalityCode: code,
          tokenHash: hashToken(token),
          createdAt: new Date(),
          createdBy: actor.clientId,
        })
        .returning();
      const after = toApiClient(row as Row);
      await appendAudit(tx, actor, [
        { action: 'create', objectType: 'api_client', objectId: after.id, municipalityCode: after.municipalityCode, before: null, after },
      ]);
      return { ...after, token };
    });
  }

  async function revoke(actor: Actor, id: string, expectedVersion: number) {
    return inTransaction(db, { municipalityCode: null, role: actor.role }, async (tx) => {
      const [current] = await tx.select().from(apiClients).where(eq(apiClients.id, id)).for('update');
      if (!current) throw notFound(`API client ${id}`);
      assertVersion('API client', current.version, expectedVersion);
      if (current.revokedAt) {
        throw new HttpProblem({
          status: 409,
          code: 'already-revoked',
          detail: `API client ${id} was revoked at ${current.revokedAt.toISOString()}.`,
        });
      }
      const [row] = await tx
        .update(apiClients)
        .set({ revokedAt: new Date(), version: current.version + 1 })
        .where(eq(apiClients.id, id))
        .returning();
      tokens.forgetClient(id);
      const after = toApiClient(row as Row);
      await appendAudit(tx, actor, [
        {
          action: 'delete',
          objectType: 'api_client',
          objectId: id,
          municipalityCode: current.municipalityCode,
          before: toApiClient(current),
          after,
        },
      ]);
      return after;
    });
  }

  /**
   * Registers (or re-keys) the bootstrap admin from REGISTRY_ADMIN_TOKEN, so a fresh installation
   * has someone who can create the other clients.
   */
  async function ensureBootstrapAdmin(actor: Actor, token: string): Promise<void> {
    const tokenHash = hashToken(token);
    await inTransaction(db, { municipalityCode: null, role: actor.role }, async (tx) => {
      const [current] = await tx
        .select()
        .from(apiClients)
        .where(and(eq(apiClients.name, BOOTSTRAP_ADMIN_NAME), isNull(apiClients.createdBy), isNull(apiClients.revokedAt)))
        .for('update');
      if (current?.tokenHash === tokenHash) return;
      if (current) {
        const [row] = await tx
          .update(apiClients)
          .set({ tokenHash, version: current.version + 1 })
          .where(eq(apiClients.id, current.id))
          .returning();
        tokens.forgetClient(current.id);
        await appendAudit(tx, actor, [
          {
            action: 'update',
            objectType: 'api_client',
            objectId: current.id,
            municipalityCode: null,
            before: toApiClient(current),
            after: toApiClient(row as Row),
          },
        ]);
        return;
      }
      const [row] = await tx
        .insert(apiClients)
        .values({
          id: randomUUID(),
          name: BOOTSTRAP_ADMIN_NAME,
          role: 'admin',
          municipalityCode: null,
          tokenHash,
          createdAt: new Date(),
          createdBy: null,
        })
        .returning();
      const after = toApiClient(row as Row);
      await appendAudit(tx, actor, [
        { action: 'create', objectType: 'api_client', objectId: after.id, municipalityCode: null, before: null, after },
      ]);
    });
  }

  return { authenticate, list, get, create, revoke, ensureBootstrapAdmin };
}

export type ApiClientRepository = ReturnType<typeof createApiClientRepository>;
