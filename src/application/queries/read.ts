import { NotFound } from '../../domain/errors.js';
import type { Page } from '../../domain/records.js';
import type { Database, Tx } from '../../infrastructure/db/client.js';
import { readWithTenant } from '../../infrastructure/db/tenant.js';
import type { RequestContext } from '../context.js';

/**
 * Every read is bound to the caller's tenant scope (readWithTenant: each statement carries the
 * scope's settings), so row-level security holds for reads too. Lists may go to a replica (`ctx.readFromPrimary` says when they may not); single
 * records are always read from the primary, which has the caller's latest write.
 */
export function createReader(database: Database) {
  const list = <T>(ctx: RequestContext, fn: (tx: Tx) => Promise<T>) => readWithTenant(database.reader(ctx.readFromPrimary), ctx.scope, fn);
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
