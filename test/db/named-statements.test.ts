import { randomUUID } from 'node:crypto';
import { inArray, sql } from 'drizzle-orm';
import t from 'tap';
import { establishments } from '../../src/infrastructure/db/schema.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { rawRows } from '../../src/infrastructure/repositories/rows.js';
import { testDatabase } from '../support/helper.js';

/**
 * On PostgreSQL the service prepares the statements it sends often (src/infrastructure/db/client.ts),
 * but not bulk ones: their text varies with their length, and their best plan with their values.
 */
t.test(
  'small statements are prepared on the connection, bulk ones are not',
  { skip: process.env.DATABASE_URL ? false : 'PostgreSQL only' },
  async (t) => {
    const { db } = await testDatabase(t);
    const few = [randomUUID()];
    const many = Array.from({ length: 100 }, () => randomUUID());
    const prepared = await withTenant(db, { kind: 'all' }, async (tx) => {
      await tx.select({ id: establishments.id }).from(establishments).where(inArray(establishments.id, few));
      await tx.select({ id: establishments.id }).from(establishments).where(inArray(establishments.id, many));
      return rawRows<{ statement: string }>(tx, sql`select statement from pg_prepared_statements`);
    });
    const lists = prepared.map((p) => p.statement).filter((s) => s.includes('"establishments"."id" in ('));
    t.equal(lists.length, 1, 'one of the two was prepared');
    t.match(lists[0], /in \(\$1\)/, 'the one with a single value');
  },
);
