import { createHash } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { apiClients } from '../db/schema.js';
import { insertRow, type PageRequest, selectPage, updateRow } from './rows.js';

/**
 * How a token is stored and looked up: tokens are 256 random bits, so one SHA-256 is enough to store
 * them safely (no slow hash needed).
 */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export type ApiClientRow = typeof apiClients.$inferSelect;
export type ApiClientValues = typeof apiClients.$inferInsert;

/** The live (not revoked) client holding this token hash, or null. */
export async function findLiveClientByTokenHash(q: Queryable, tokenHash: string) {
  const [row] = await q
    .select({ id: apiClients.id, name: apiClients.name, role: apiClients.role, municipalityCode: apiClients.municipalityCode })
    .from(apiClients)
    .where(and(eq(apiClients.tokenHash, tokenHash), isNull(apiClients.revokedAt)));
  return row ?? null;
}

export function listApiClients(q: Queryable, page: PageRequest) {
  return selectPage(q, apiClients, undefined, [asc(apiClients.createdAt), asc(apiClients.id)], page);
}

export async function findApiClient(q: Queryable, id: string, forUpdate = false): Promise<ApiClientRow | null> {
  const query = q.select().from(apiClients).where(eq(apiClients.id, id));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

/**
 * Serialises the start-up commands that make or re-key the bootstrap admin: instances starting
 * together on one database would otherwise each find no admin and each insert one (the second
 * failing on the unique token). A transaction advisory lock, so it ends with the transaction; under
 * READ COMMITTED the statements after it see what the instance before committed.
 */
export async function serialiseBootstrap(q: Queryable): Promise<void> {
  await q.execute(sql`select pg_advisory_xact_lock(hashtext('bootstrap_admin'))`);
}

/** The live bootstrap admin (named `name`, created by no one), locked, or null. */
export async function lockBootstrapAdmin(q: Queryable, name: string): Promise<ApiClientRow | null> {
  const [row] = await q
    .select()
    .from(apiClients)
    .where(and(eq(apiClients.name, name), isNull(apiClients.createdBy), isNull(apiClients.revokedAt)))
    .for('update');
  return row ?? null;
}

/** Whether any admin client is live (not revoked). */
export async function hasLiveAdmin(q: Queryable): Promise<boolean> {
  const [row] = await q
    .select({ id: apiClients.id })
    .from(apiClients)
    .where(and(eq(apiClients.role, 'admin'), isNull(apiClients.revokedAt)))
    .limit(1);
  return row !== undefined;
}

export const insertApiClient = (q: Queryable, values: ApiClientValues): Promise<ApiClientRow> => insertRow(q, apiClients, values);

export const updateApiClient = (q: Queryable, id: string, values: Partial<ApiClientValues>): Promise<ApiClientRow> =>
  updateRow(q, apiClients, apiClients.id, id, values);

/** Any client, revoked or not, that holds this token hash. */
export async function findClientByTokenHash(q: Queryable, tokenHash: string): Promise<ApiClientRow | null> {
  const [row] = await q.select().from(apiClients).where(eq(apiClients.tokenHash, tokenHash));
  return row ?? null;
}

/** The channel on which revocations and re-keyings are announced to every instance (LISTEN/NOTIFY). */
export const API_CLIENT_CHANGES = 'registry_api_client_changes';

/** Announces, at commit, that this client's tokens changed: every instance's token cache forgets it. */
export async function announceClientChange(q: Queryable, id: string): Promise<void> {
  await q.execute(sql`select pg_notify(${API_CLIENT_CHANGES}, ${id})`);
}
