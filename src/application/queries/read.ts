import type { Database, Tx } from '../../infrastructure/db/client.js';
import { readWithTenant } from '../../infrastructure/db/tenant.js';
import type { RequestContext } from '../context.js';

/**
 * Every read is bound to the caller's tenant scope (readWithTenant: each statement carries the
 * scope's settings), so row-level security holds for reads too. Lists may go to a replica (`ctx.readFromPrimary` says when they may not); single
 * records are always read from the primary, which has the caller's latest write.
 */
export function createReader(database: Database) {
  return {
    list: <T>(ctx: RequestContext, fn: (tx: Tx) => Promise<T>) => readWithTenant(database.reader(ctx.readFromPrimary), ctx.scope, fn),
    one: <T>(ctx: RequestContext, fn: (tx: Tx) => Promise<T>) => readWithTenant(database.db, ctx.scope, fn),
  };
}

export type Reader = ReturnType<typeof createReader>;
