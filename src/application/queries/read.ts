import { NotFound } from '../../domain/errors.js';
import type { Page } from '../../domain/records.js';
import type { Database, Tx } from '../../infrastructure/db/client.js';
import { isDatabaseLost } from '../../infrastructure/db/errors.js';
import { readWithTenant, withTenant } from '../../infrastructure/db/tenant.js';
import type { RequestContext } from '../context.js';

/**
 * Every read is bound to the caller's tenant scope (readWithTenant: each statement carries the
 * scope's settings), so row-level security holds for reads too. Lists may go to a replica (`ctx.readFromPrimary` says when they may not,
 * and a replica that is down sends them to the primary for a while); single
 * records are always read from the primary, which has the caller's latest write. An answer built from
 * several statements that must agree with each other (a statistics table and its reporting status)
 * asks for `snapshot`: one REPEATABLE READ transaction, two round trips more on PostgreSQL (BEGIN, COMMIT).
 */
export function createReader(database: Database) {
  /** A read that may go to the replica; one the replica cannot answer (it is down) is read from the primary instead. */
  const list = async <T>(ctx: RequestContext, fn: (tx: Tx) => Promise<T>, options: { snapshot?: boolean } = {}): Promise<T> => {
    const run = (db: Database['db']) =>
      options.snapshot ? withTenant(db, ctx.scope, fn, { snapshot: true }) : readWithTenant(db, ctx.scope, fn);
    const source = database.reader(ctx.readFromPrimary);
    if (source === database.db) return run(source);
    try {
      return await run(source);
    } catch (err) {
      if (!isDatabaseLost(err)) throw err; // a busy replica (a statement past its timeout) is not sent on to the primary
      database.replicaUnavailable?.(err);
      return run(database.db);
    }
  };
  const one = <T>(ctx: RequestContext, fn: (tx: Tx) => Promise<T>) => readWithTenant(database.db, ctx.scope, fn);
  return {
    list,
    one,
    /** One record as the API shows it; NotFound, naming it as `what` says, when it is not there (or not the caller's). */
    async record<Row, View>(
      ctx: RequestContext,
      what: string,
      find: (tx: Tx) => Promise<Row | null | undefined>,
      view: (row: Row) => View,
    ) {
      const row = await one(ctx, find);
      if (!row) throw new NotFound(what);
      return view(row);
    },
    /** A page of a list, its records as the API shows them. */
    async page<Row, View>(
      ctx: RequestContext,
      find: (tx: Tx) => Promise<{ rows: Row[]; totalItems: number }>,
      view: (row: Row) => View,
    ): Promise<Page<View>> {
      const { rows, totalItems } = await list(ctx, find);
      return { items: rows.map(view), totalItems };
    },
  };
}

export type Reader = ReturnType<typeof createReader>;
