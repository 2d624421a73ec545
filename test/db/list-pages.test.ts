import { asc } from 'drizzle-orm';
import t from 'tap';
import { listCheckpoints, storeCheckpoint } from '../../src/infrastructure/audit/checkpoints.js';
import type { Queryable } from '../../src/infrastructure/db/client.js';
import { municipalities } from '../../src/infrastructure/db/schema.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { selectPage } from '../../src/infrastructure/repositories/rows.js';
import { build, newSigningKey } from '../support/helper.js';

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

t.test('the audit checkpoints list pages the same way: a page that holds its last row is one statement', async (t) => {
  const { database } = await build(t);
  const key = newSigningKey();
  await withTenant(database.db, { kind: 'all' }, async (tx) => {
    for (let i = 0; i < 3; i++) await storeCheckpoint(tx, key);
  });
  // Counts the statements the list starts on its handle (a page, a count).
  const statements: string[] = [];
  const counting = (tx: Queryable) =>
    new Proxy(tx, {
      get(target, name, receiver) {
        if (name === 'select' || name === '$count') statements.push(String(name));
        return Reflect.get(target, name, receiver);
      },
    });
  const list = (page: number, pageSize: number) =>
    withTenant(database.db, { kind: 'all' }, (tx) => listCheckpoints(counting(tx), { page, pageSize }));

  const whole = await list(1, 20);
  t.same([whole.items.length, whole.totalItems, statements], [3, 3, ['select']], 'not full: the page alone');
  statements.length = 0;
  const first = await list(1, 2);
  t.same([first.items.length, first.totalItems, statements], [2, 3, ['select', 'select']], 'full: the page, then a count');
});
