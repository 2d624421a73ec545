import { sql } from 'drizzle-orm';
import t from 'tap';
import { arrayParam, rawRows } from '../../src/infrastructure/repositories/rows.js';
import { testDatabase } from '../support/helper.js';

t.test('a list as one array parameter arrives element for element, whatever the elements hold', async (t) => {
  const { owner } = await testDatabase(t);
  const values = ['plain', 'with,comma', 'with "quotes"', 'back\\slash', '{braces}', 'NULL', '', ' spaced ', 'é ∑ 🚦', "it's"];
  const rows = await rawRows<{ v: string; n: string }>(
    owner,
    sql`select v, n::text from unnest(${arrayParam(values)}) with ordinality as x(v, n)`,
  );
  t.same(
    rows.map((r) => r.v),
    values,
  );
  const ids = ['3f1c0b9e-8d2a-4c55-9a0e-1b2c3d4e5f60', '00000000-0000-4000-8000-000000000000'];
  const uuids = await rawRows<{ v: string }>(owner, sql`select v::text from unnest(${arrayParam(ids, 'uuid')}) as x(v)`);
  t.same(
    uuids.map((r) => r.v),
    ids,
  );
});
