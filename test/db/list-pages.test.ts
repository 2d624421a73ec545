import { asc } from 'drizzle-orm';
import t from 'tap';
import { municipalities } from '../../src/infrastructure/db/schema.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { selectPage } from '../../src/infrastructure/repositories/rows.js';
import { build } from '../support/helper.js';

// A page and its total are two statements; on PostgreSQL each takes its own snapshot, so a write (or a
// rollup total) can land between them. Whatever the count says, the answer must not contradict its
// own page. `total` stands in for that count here: the number a count taken a moment later would give.
t.test('a page never contradicts its totalItems, whatever a count taken beside it says', async (t) => {
  const { database } = await build(t);
  const pageOf = async (page: number, pageSize: number, counted: number) => {
    let asked = false;
    const total = async () => {
      asked = true;
      return counted;
    };
    const result = await withTenant(database.db, { kind: 'all' }, (tx) =>
      selectPage(tx, municipalities, undefined, [asc(municipalities.code)], { page, pageSize }, total),
    );
    return { items: result.rows.length, totalItems: result.totalItems, asked };
  };
  // The ten seeded municipalities.
  t.same(await pageOf(1, 20, 99), { items: 10, totalItems: 10, asked: false }, 'a page that is not full holds the last row: no count');
  t.same(await pageOf(2, 6, 99), { items: 4, totalItems: 10, asked: false }, 'the same for a later page');
  t.same(await pageOf(1, 5, 10), { items: 5, totalItems: 10, asked: true }, 'a full page: the count');
  t.same(await pageOf(1, 5, 3), { items: 5, totalItems: 5, asked: true }, 'a full page is at least its own rows');
  t.same(await pageOf(2, 5, 7), { items: 5, totalItems: 10, asked: true }, 'and at least the rows before it');
  t.same(await pageOf(3, 5, 10), { items: 0, totalItems: 10, asked: true }, 'an empty page past the end: the count');
  t.same(await pageOf(3, 5, 14), { items: 0, totalItems: 10, asked: true }, 'an empty later page: at most the rows before it');
});
