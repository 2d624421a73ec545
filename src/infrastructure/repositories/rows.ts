import { and, count, eq, getTableColumns, getTableName, inArray, isNull, type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { inScope, scopeValue, type TenantScope } from '../db/tenant.js';

export interface PageRequest {
  page: number;
  pageSize: number;
}

/**
 * One page of a table's rows in a deterministic order, and how many rows match in all, never
 * contradicting each other. On PostgreSQL a read's statements each take their own snapshot
 * (db/tenant.ts, readWithTenant), so a write committing between the page and a count could make a page
 * of 20 items say `totalItems: 3`. So the page decides what it can: a page that is not full, or an
 * empty first page, holds the last row, and its total is exact without a count (a statement fewer).
 * Otherwise the count (`total`, or count(*)) is taken, held to what the page showed: at least the rows
 * up to the end of a full page, at most the offset of an empty later one.
 */
export async function selectPage<T extends PgTable>(
  q: Queryable,
  table: T,
  where: SQL | undefined | WhereShape,
  orderBy: (PgColumn | SQL)[],
  page: PageRequest,
  total?: () => Promise<number | null>,
): Promise<{ rows: T['$inferSelect'][]; totalItems: number }> {
  const pageOf = (w: SQL | undefined, limit: number | Placeholder, offset: number | Placeholder) =>
    q
      .select()
      .from(table as PgTable)
      .where(w)
      .orderBy(...orderBy)
      .limit(limit)
      .offset(offset);
  const countOf = (w: SQL | undefined) =>
    q
      .select({ n: count() })
      .from(table as PgTable)
      .where(w);
  const limit = page.pageSize;
  const offset = (page.page - 1) * page.pageSize;
  // A shaped filter: both statements built once per handle and shape, run with the values (preparedOn).
  const shaped = where && 'shape' in where ? where : null;
  const key = shaped ? `${getTableName(table)}:${shaped.shape}` : '';
  const rows = (
    shaped
      ? await preparedOn(q, `${key}:page`, () =>
          pageOf(shaped.build(sql.placeholder), sql.placeholder('limit'), sql.placeholder('offset')),
        ).execute({
          ...shaped.values,
          limit,
          offset,
        })
      : await pageOf(where as SQL | undefined, limit, offset)
  ) as T['$inferSelect'][];
  // The page holds the last row (it is not full, or it is the first and empty): its total is exact.
  if (rows.length < limit && (rows.length > 0 || offset === 0)) return { rows, totalItems: offset + rows.length };
  const countRows = async () => {
    const counted = (
      shaped
        ? await preparedOn(q, `${key}:count`, () => countOf(shaped.build(sql.placeholder))).execute(shaped.values)
        : await countOf(where as SQL | undefined)
    ) as { n: number }[];
    return Number(counted[0]?.n ?? 0);
  };
  const counted = (total ? await total() : null) ?? (await countRows());
  // Held to the page: a full page shows that at least offset + limit rows match, an empty later one at most offset.
  return { rows, totalItems: rows.length === 0 ? Math.min(counted, offset) : Math.max(counted, offset + limit) };
}

/**
 * A list's condition with its values apart: `build` makes it with a placeholder for each value, and
 * `shape` names what `build` makes (which filters are set), so the statements are built once per
 * shape and connection (preparedOn) instead of on every request.
 */
export interface WhereShape {
  shape: string;
  build(bind: (name: string) => Placeholder): SQL | undefined;
  values: Record<string, unknown>;
}

/** A list's filters: each optional, unset (or empty) means no condition. */
export type Filters<K extends string> = { [P in K]?: string | undefined };

/** `column = value` for each of these filters that is set, on the table's column of the same name. */
export function equalsWhereSet<T extends PgTable, K extends keyof T['_']['columns'] & string>(
  table: T,
  f: Filters<K>,
  keys: readonly K[],
): (SQL | undefined)[] {
  const columns = getTableColumns(table) as Record<K, PgColumn>;
  return keys.map((k) => (f[k] ? eq(columns[k], f[k]) : undefined));
}

/**
 * A list of values as one array parameter (`= any(…)`, `unnest(…)`), in PostgreSQL's array syntax
 * with every element quoted and escaped: one parameter however long the list, so the statement's
 * text does not change with its length.
 */
export const arrayParam = (values: readonly string[], type: 'text' | 'uuid' = 'text'): SQL =>
  sql`${`{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`}::${sql.raw(type)}[]`;

/** Rows of a raw statement, on either driver. */
export async function rawRows<T>(q: Queryable, query: SQL): Promise<T[]> {
  return ((await q.execute(query)) as unknown as { rows: T[] }).rows;
}

/** Inserts one row and returns it as stored. */
export async function insertRow<T extends PgTable>(q: Queryable, table: T, values: T['$inferInsert']): Promise<T['$inferSelect']> {
  const [row] = (await q
    .insert(table as PgTable)
    .values(values as never)
    .returning()) as T['$inferSelect'][];
  return row as T['$inferSelect'];
}

/**
 * Rows per INSERT of `insertRows` and `appendRows`: PostgreSQL takes at most 65,535 parameters a
 * statement, and the widest table has about 30 columns.
 */
export const ROWS_PER_INSERT = 1000;

function* chunksOf<V>(values: readonly V[]): Generator<V[]> {
  for (let i = 0; i < values.length; i += ROWS_PER_INSERT) yield values.slice(i, i + ROWS_PER_INSERT);
}

/** Inserts many rows (in statements of ROWS_PER_INSERT) and returns them as stored, in the order given. */
export async function insertRows<T extends PgTable>(q: Queryable, table: T, values: T['$inferInsert'][]): Promise<T['$inferSelect'][]> {
  const stored: T['$inferSelect'][] = [];
  for (const chunk of chunksOf(values)) {
    stored.push(
      ...((await q
        .insert(table as PgTable)
        .values(chunk as never)
        .returning()) as T['$inferSelect'][]),
    );
  }
  return stored;
}

/** Inserts many rows (in statements of ROWS_PER_INSERT) without reading them back; none is nothing. */
export async function appendRows<T extends PgTable>(q: Queryable, table: T, values: readonly T['$inferInsert'][]): Promise<void> {
  for (const chunk of chunksOf(values)) await q.insert(table as PgTable).values(chunk as never);
}

/** Updates the row whose key column holds `key` and returns it as stored. */
export async function updateRow<T extends PgTable>(
  q: Queryable,
  table: T,
  keyColumn: PgColumn,
  key: string,
  values: Partial<T['$inferInsert']>,
): Promise<T['$inferSelect']> {
  const [row] = (await q
    .update(table as PgTable)
    .set(values as never)
    .where(eq(keyColumn, key))
    .returning()) as T['$inferSelect'][];
  return row as T['$inferSelect'];
}

/** The one row matching `where`, or null; `forUpdate` locks it until the transaction ends. */
export async function selectOne<T extends PgTable>(q: Queryable, table: T, where: SQL | undefined, forUpdate = false) {
  const query = q
    .select()
    .from(table as PgTable)
    .where(where);
  const [row] = (forUpdate ? await query.for('update') : await query) as T['$inferSelect'][];
  return row ?? null;
}

type TenantTable = PgTable & { id: PgColumn; municipalityCode: PgColumn; deletedAt: PgColumn };

interface Prepared {
  execute(values: Record<string, unknown>): Promise<unknown[]>;
}

const preparedByHandle = new WeakMap<object, Map<string, Prepared>>();

/**
 * A query that drizzle builds once per database handle and shape, and that then runs with its values
 * as placeholders: building the SQL text anew was a fifth of a record read's CPU in the service. On
 * PostgreSQL a handle lives as long as its pooled connection (readWithTenant, withTenant), so a hot
 * read is built once per connection; a PGlite transaction's handle lives for one transaction.
 */
function preparedOn(q: Queryable, key: string, build: () => { prepare(name: string): unknown }): Prepared {
  let queries = preparedByHandle.get(q);
  if (!queries) {
    queries = new Map();
    preparedByHandle.set(q, queries);
  }
  let query = queries.get(key);
  if (!query) {
    // unnamed here: the connection names its statements itself (client.ts, statementName)
    query = build().prepare('') as Prepared;
    queries.set(key, query);
  }
  return query;
}

/** Reads of a municipality's records that are deleted as tombstones (establishments, enforcement actions, reporting attestations). */
export function tenantRecords<T extends TenantTable>(table: T) {
  /** Live records in scope (and with this id, when given). */
  const live = (scope: TenantScope, id?: string): SQL | undefined =>
    and(isNull(table.deletedAt), inScope(table.municipalityCode, scope), id ? eq(table.id, id) : undefined);
  const name = getTableName(table);
  /** One record by id in scope (live only, or tombstones too), built once per handle and shape (preparedOn). */
  const byId = async (
    q: Queryable,
    scope: TenantScope,
    id: string,
    liveOnly: boolean,
    forUpdate: boolean,
  ): Promise<T['$inferSelect'] | null> => {
    const query = preparedOn(q, `${name}:${scope.kind}:${liveOnly}:${forUpdate}`, () => {
      const select = q
        .select()
        .from(table as PgTable)
        .where(
          and(
            liveOnly ? isNull(table.deletedAt) : undefined,
            inScope(table.municipalityCode, scope, sql.placeholder),
            eq(table.id, sql.placeholder('id')),
          ),
        );
      return forUpdate ? select.for('update') : select;
    });
    const [row] = await query.execute({ id, scope: scopeValue(scope) });
    return (row as T['$inferSelect'] | undefined) ?? null;
  };
  return {
    live,
    /** A live record in scope, or null; `forUpdate` locks it. */
    find: (q: Queryable, scope: TenantScope, id: string, forUpdate = false) => byId(q, scope, id, true, forUpdate),
    /** The live records in scope with these ids (those there are), locked for update in id order. */
    findMany: async (q: Queryable, scope: TenantScope, ids: readonly string[]): Promise<T['$inferSelect'][]> =>
      ids.length === 0
        ? []
        : ((await q
            .select()
            .from(table as PgTable)
            .where(and(live(scope), inArray(table.id, [...ids])))
            .orderBy(table.id)
            .for('update')) as T['$inferSelect'][]),
    /** A record in scope, live or a tombstone (its audit trail stays readable). */
    findEver: (q: Queryable, scope: TenantScope, id: string) => byId(q, scope, id, false, false),
  };
}
