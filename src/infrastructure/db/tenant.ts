import { eq, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import pg from 'pg';
import {
  type Db,
  dbOnConnection,
  loginBoundByPolicies,
  poolBehind,
  SCOPE_SETTINGS_STATEMENT,
  SCOPE_STATEMENT,
  scopedStatements,
  type Tx,
} from './client.js';

/**
 * Which municipalities' rows a transaction may touch: one, or all. "All" is an explicit setting
 * (analysts, admins, the service's own work), never the absence of one.
 */
export type TenantScope = { kind: 'municipality'; code: string } | { kind: 'all' };

/**
 * The database role every request's transaction runs as (created by migration 0002). It is not a
 * superuser and owns nothing, so PostgreSQL's row-level security policies bind it even when the
 * service connects as a more privileged role.
 */
export const APP_DB_ROLE = 'registry_app';

/**
 * Runs `fn` in one transaction bound to `scope`: the settings the row-level security policies read
 * (`app.scope`, `app.municipality`; migration 0010) and the switch to `registry_app` are
 * transaction-local and made in the transaction's first statement, so they cannot leak to the next
 * request that borrows the pooled connection, and a query outside such a transaction sees no
 * tenant rows at all (fail-closed). Inside `fn` use only `tx`: on PGlite, touching the outer `db`
 * during a transaction hangs.
 */
export function withTenant<T>(db: Db, scope: TenantScope, fn: (tx: Tx) => Promise<T>, options: TenantTransactionOptions = {}): Promise<T> {
  const pool = poolBehind.get(db);
  if (pool) return onPostgres(pool, scope.kind, scope.kind === 'municipality' ? scope.code : '', fn, options.snapshot === true);
  return db.transaction((tx) => inTenant(tx, scope, fn), options.snapshot ? { isolationLevel: 'repeatable read' } : undefined);
}

export interface TenantTransactionOptions {
  /** One snapshot for every statement (REPEATABLE READ): a long read such as an export sees one state. */
  snapshot?: boolean;
}

/**
 * Runs `fn` inside an open transaction after binding it to `scope` (the same settings as
 * withTenant). For many commands in one transaction (a bulk load): each binds its own scope in turn.
 */
export async function inTenant<T>(tx: Tx, scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const municipality = scope.kind === 'municipality' ? scope.code : '';
  await tx.execute(
    sql`select set_config('app.scope', ${scope.kind}, true), set_config('app.municipality', ${municipality}, true), set_config('role', ${APP_DB_ROLE}, true)`,
  );
  return fn(tx);
}

/**
 * On PostgreSQL the transaction holds one pooled connection and opens with BEGIN and the three
 * settings in one round trip (one simple-protocol message with two statements, so the values are
 * escaped literals: a scope kind, a CBS code checked by the schemas, a constant role). A failed
 * statement rolls back; a broken connection is destroyed, not returned to the pool.
 */
async function onPostgres<T>(pool: pg.Pool, kind: string, municipality: string, fn: (tx: Tx) => Promise<T>, snapshot = false): Promise<T> {
  const client = await pool.connect();
  const literal = (v: string) => pg.escapeLiteral(v);
  let broken: Error | undefined;
  try {
    await client.query(
      `begin${snapshot ? ' isolation level repeatable read' : ''}; select set_config('app.scope', ${literal(kind)}, true), set_config('app.municipality', ${literal(municipality)}, true), set_config('role', ${literal(APP_DB_ROLE)}, true)`,
    );
    // The connection's drizzle instance stands in for drizzle's transaction object: the transaction is
    // ours (begin/commit/rollback here), and no caller uses Tx.rollback() or nested transactions.
    const result = await fn(dbOnConnection(client) as unknown as Tx);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((e: Error) => {
      broken = e;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs the read `fn` bound to `scope`, like withTenant, in fewer round trips on PostgreSQL: each of
 * its statements travels together with the scope's settings (`select set_config(…, true)`) in one
 * extended-protocol round trip that PostgreSQL runs as one implicit transaction (a ScopedQuery,
 * client.ts), so the settings hold for that statement and end with it: the same fail-closed binding
 * as a transaction, without BEGIN and COMMIT, and both statements prepared once per connection.
 * Under READ COMMITTED every statement of a transaction takes its own snapshot anyway, so a read of
 * several statements sees what it saw before. Only for reads: a statement that writes would commit
 * on its own. Where the login role is bound by the policies as it is (a plain role, as production
 * and CI connect: loginBoundByPolicies), the switch to registry_app is left out: it changes
 * nothing there and costs more than a primary-key read. On PGlite (in process, no round trips)
 * this is withTenant.
 */
export async function readWithTenant<T>(db: Db, scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const pool = poolBehind.get(db);
  if (!pool) return withTenant(db, scope, fn);
  const client = await pool.connect();
  const settings = [scope.kind, scope.kind === 'municipality' ? scope.code : ''];
  let scoped: ReturnType<typeof scopedStatements>;
  try {
    scoped = (await loginBoundByPolicies(client, APP_DB_ROLE))
      ? scopedStatements(client, { statement: SCOPE_SETTINGS_STATEMENT, values: settings })
      : scopedStatements(client, { statement: SCOPE_STATEMENT, values: [...settings, APP_DB_ROLE] });
  } catch (err) {
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  try {
    return await fn(scoped.db as unknown as Tx);
  } finally {
    // A statement that failed rolled back its own implicit transaction; only a connection that
    // broke is not given back to the pool.
    client.release(scoped.broken());
  }
}

/**
 * The one tenant predicate of the application's own queries (row-level security holds the same line).
 * With `bind`, the municipality is the placeholder `scope` (a query built once and run many times,
 * repositories/rows.ts preparedOn; its value: scopeValue).
 */
export const inScope = (municipalityColumn: PgColumn, scope: TenantScope, bind?: (name: 'scope') => Placeholder): SQL | undefined =>
  scope.kind === 'municipality' ? eq(municipalityColumn, bind ? bind('scope') : scope.code) : undefined;

/** The value of inScope's `scope` placeholder. */
export const scopeValue = (scope: TenantScope): string | null => (scope.kind === 'municipality' ? scope.code : null);
