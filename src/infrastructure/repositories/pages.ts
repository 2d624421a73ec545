import { count, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';

export interface PageRequest {
  page: number;
  pageSize: number;
}

/**
 * One page of a table's rows in a deterministic order, and how many rows match in all. Both run on
 * `q`, which inside a tenant transaction is one connection and one snapshot: the count and the page
 * agree.
 */
export async function selectPage<T extends PgTable>(
  q: Queryable,
  table: T,
  where: SQL | undefined,
  orderBy: (PgColumn | SQL)[],
  page: PageRequest,
  total?: () => Promise<number | null>,
): Promise<{ rows: T['$inferSelect'][]; totalItems: number }> {
  const rows = (await q
    .select()
    .from(table as PgTable)
    .where(where)
    .orderBy(...orderBy)
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize)) as T['$inferSelect'][];
  const known = total ? await total() : null;
  const totalItems =
    known ??
    (
      await q
        .select({ n: count() })
        .from(table as PgTable)
        .where(where)
    )[0]?.n ??
    0;
  return { rows, totalItems };
}
