import pg from 'pg';
import t from 'tap';
import { build, json, usingPostgres } from '../support/helper.js';
import { records } from '../support/records.js';

// A statistics answer is two statements: the counts, then each municipality-year's reporting status.
// On PostgreSQL a write can commit between them (on PGlite nothing can: one connection). This file
// puts one there on purpose: the statement that reads the reporting status waits until an action of
// the one municipality-year is deleted or created. The answer must hold as of one moment, whichever.

/** Runs `write` (once) before the next statement whose text has `marker` goes out on any connection. */
function beforeStatement(marker: string) {
  const original = pg.Client.prototype.query;
  let pending: (() => Promise<unknown>) | null = null;
  let fired = 0;
  (pg.Client.prototype as { query: unknown }).query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as { text?: string } | string | undefined;
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const write = pending;
    if (write && text.includes(marker)) {
      pending = null;
      fired += 1;
      return write().then(() => (original as (...a: unknown[]) => unknown).apply(this, args));
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  return {
    next: (write: () => Promise<unknown>) => {
      pending = write;
    },
    fired: () => fired,
    restore: () => {
      pg.Client.prototype.query = original;
    },
  };
}

t.test(
  'the counts and the reporting status of one answer come from one moment, also with a write between their statements',
  { skip: usingPostgres ? false : 'PostgreSQL only: on PGlite no write can come between two statements of a read' },
  async (t) => {
    const { app, client } = await build(t);
    const officer = await client('officer', 'GM0363');
    const analyst = await client('analyst');
    const make = records(app);
    const est = await make.establishment(officer.auth);
    const create = () => make.action(officer.auth, est.id, { decisionDate: '2024-05-01' });
    const remove = async (a: { id: string; version: number }) => {
      const res = await app.inject({
        method: 'DELETE',
        url: `/v1/enforcement-actions/${a.id}`,
        headers: { ...officer.auth, 'if-match': `"${a.version}"`, 'x-audit-reason': 'recorded in error' },
      });
      t.equal(res.statusCode, 204, res.body);
    };
    type Summary = { total: { actions: number }; divisor: { reported: number; notReported: number } };
    type Table = { items: { actions: number; status: string }[]; reporting: { status: string }[] };
    const summary = async () =>
      json<Summary>(
        await app.inject({
          url: '/v1/statistics/enforcement-actions/summary?municipalityCode=GM0363&yearFrom=2024&yearTo=2024',
          headers: analyst.auth,
        }),
      );
    const table = async () =>
      json<Table>(
        await app.inject({
          // Not by year and municipality: its counts would be the very statement the hook waits for.
          url: '/v1/statistics/enforcement-actions?groupBy=municipality&municipalityCode=GM0363&yearFrom=2024&yearTo=2024',
          headers: analyst.auth,
        }),
      );

    const hook = beforeStatement('group by year, municipality_code'); // the reporting status's statement
    t.teardown(hook.restore);

    let action = await create();
    hook.next(() => remove(action));
    const afterDelete = await summary();
    t.same(
      [afterDelete.total.actions > 0, afterDelete.divisor.reported],
      [true, 1],
      'deleted meanwhile: the action counted, and its municipality-year reported',
    );
    action = await create();
    hook.next(() => remove(action));
    const tableAfterDelete = await table();
    t.same(
      [tableAfterDelete.items.map((i) => [i.actions, i.status]), tableAfterDelete.reporting.map((r) => r.status)],
      [[[1, 'reported']], ['reported']],
      'the table too',
    );

    hook.next(async () => {
      action = await create();
    });
    const afterCreate = await summary();
    t.same([afterCreate.total.actions, afterCreate.divisor.reported], [0, 0], 'created meanwhile: none counted, none reported');
    await remove(action);
    hook.next(async () => {
      action = await create();
    });
    const tableAfterCreate = await table();
    t.same(
      [tableAfterCreate.items.map((i) => [i.actions, i.status]), tableAfterCreate.reporting.map((r) => r.status)],
      [[[0, 'not_reported']], ['not_reported']],
      'the table too',
    );
    t.equal(hook.fired(), 4, 'each write came between the two statements');
  },
);
