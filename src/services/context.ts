import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { currentTransactionHooks } from './unit-of-work.js';

export type Role = 'officer' | 'analyst' | 'admin';

/** The authenticated API client behind a request. */
export interface Principal {
  clientId: string;
  name: string;
  role: Role;
  /** Set for officers: the one municipality whose records they may read and write. */
  municipalityCode: string | null;
}

/** Who makes a change and why: what the audit trail records with it. */
export interface Actor {
  clientId: string | null;
  role: Role | 'system';
  requestId: string | null;
  reason: string | null;
}

/** Which municipalities' records a caller may see: one, or all (null). */
export interface Scope {
  municipalityCode: string | null;
}

export const scopeOf = (p: Principal): Scope => ({
  municipalityCode: p.role === 'officer' ? p.municipalityCode : null,
});

export const systemActor = (reason: string): Actor => ({ clientId: null, role: 'system', requestId: null, reason });

/**
 * The database role a client's transaction runs as (created by migration 0002). It is not a
 * superuser, so PostgreSQL's row-level security policies bind it; superusers bypass them.
 */
export const APP_DB_ROLE = 'registry_app';

/**
 * Runs `fn` in one transaction with the caller's municipality and role set as transaction-local
 * settings (`app.municipality`, `app.role`), which PostgreSQL's row-level security policies read.
 * A client's transaction also switches to the non-superuser role `registry_app` (transaction-local,
 * like SET LOCAL ROLE, in the same statement: no extra round trip), so the policies apply even when
 * the service connects as a superuser; system work (bootstrap) keeps the connection's own role.
 * Inside `fn` use only `tx`: on PGlite, touching the outer `db` in a transaction hangs.
 */
export async function inTransaction<T>(db: Db, scope: Scope & { role: Actor['role'] }, fn: (tx: Tx) => Promise<T>): Promise<T> {
  // The request's unit of work (e.g. its Idempotency-Key) commits or rolls back with the change.
  const hooks = currentTransactionHooks();
  let result: T;
  try {
    result = await db.transaction(async (tx) => {
      const municipality = scope.municipalityCode ?? '';
      await tx.execute(
        scope.role === 'system'
          ? sql`select set_config('app.municipality', ${municipality}, true), set_config('app.role', ${scope.role}, true)`
          : sql`select set_config('app.municipality', ${municipality}, true), set_config('app.role', ${scope.role}, true), set_config('role', ${APP_DB_ROLE}, true)`,
      );
      for (const h of hooks) await h.begin?.(tx);
      const result = await fn(tx);
      for (const h of hooks) await h.beforeCommit?.(tx, result);
      return result;
    });
  } catch (err) {
    for (const h of hooks) h.rolledBack?.();
    throw err;
  }
  for (const h of hooks) h.committed?.();
  return result;
}
