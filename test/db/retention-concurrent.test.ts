import pg from 'pg';
import t, { type Test } from 'tap';
import { systemContext } from '../../src/application/context.js';
import { type RetentionRule, retentionRules } from '../../src/domain/retention.js';
import { asSuperuser } from '../support/audit.js';
import { build, type TestContext, usingPostgres } from '../support/helper.js';
import { records } from '../support/records.js';

/**
 * Two destruction runs at once (a scheduled run on two instances): the second must not record the
 * destruction of records the first destroyed. Its candidates were read before the first committed;
 * its delete then found them gone.
 */
const skip = !usingPostgres && 'PostgreSQL only: PGlite runs one transaction at a time';

/**
 * Two runs at once. Another session holds the audit chain's lock, so that the first run's commit
 * waits for it; the second run starts then, and once it waits for a lock in a statement like
 * `secondWaitsAt` the chain lock is let go. Answers what each run reported destroyed, and which
 * runs wrote the destroy entries.
 */
async function twoRunsAtOnce(t: Test, { services, database }: TestContext, rules: RetentionRule[], secondWaitsAt: string) {
  const destroy = (run: string) => services.commands.retention.destroyPastRetention(systemContext(run), rules, '2030-06-01');
  const holder = new pg.Client({ connectionString: (database.outside as { databaseUrl: string }).databaseUrl });
  await holder.connect();
  t.teardown(() => holder.end());
  await holder.query('select pg_advisory_lock(7240001)');
  const waitingOn = async (what: string) => {
    for (;;) {
      const [row] = await asSuperuser<{ n: number }>(
        database,
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '${what}'`,
      );
      if ((row?.n ?? 0) > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const first = destroy('run 1');
  await waitingOn('%commit%');
  const second = destroy('run 2');
  await waitingOn(secondWaitsAt);
  await holder.query('select pg_advisory_unlock(7240001)');
  const reports = await Promise.all([first, second]);
  const entries = await asSuperuser<{ reason: string }>(database, "select reason from audit_log where action = 'destroy'");
  return { destroyed: reports.map((r) => r.destroyed), destroyedBy: entries.map((e) => e.reason) };
}

t.test('a destruction run records only what it destroyed itself', { skip }, async (t) => {
  const ctx = await build(t);
  const officer = await ctx.client('officer', 'GM0363');
  const make = records(ctx.app);
  const est = await make.establishment(officer.auth);
  await make.action(officer.auth, est.id, { decisionDate: '2009-05-01', stage: 'final' });

  // The first run's commit waits for the chain lock after its delete; the second waits at its look
  // for candidates (they are locked as they are found), then finds the action gone.
  const runs = await twoRunsAtOnce(t, ctx, retentionRules({ enforcementActionYears: 10, selectionList: 'test' }), 'select%');
  t.same(runs.destroyed, [{ enforcement_action: 1 }, { enforcement_action: 0 }], 'one action, destroyed once');
  t.same(runs.destroyedBy, ['run 1'], 'one destroy entry, by the run that destroyed it');
});

t.test('a licence deleted outright, which has no row to delete, is destroyed once too', { skip }, async (t) => {
  const ctx = await build(t);
  const officer = await ctx.client('officer', 'GM0363');
  const make = records(ctx.app);
  const est = await make.establishment(officer.auth);
  const licence = await make.licenceValid(officer.auth, est.id, '2001-01-01', '2005-12-31');
  const deleted = await ctx.app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${est.id}/licences/${licence.id}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'entered in error' },
  });
  t.equal(deleted.statusCode, 204, deleted.body);

  // The first run blanks the licence's trail and waits to commit; the second must wait for it
  // (at its look for candidates), and then find nothing left to do.
  const runs = await twoRunsAtOnce(t, ctx, retentionRules({ licenceYears: 10, selectionList: 'test' }), 'select%');
  t.same(runs.destroyed, [{ licence: 1 }, { licence: 0 }], 'one licence, destroyed once');
  t.same(runs.destroyedBy, ['run 1'], 'one destroy entry');
});

t.test('a record that stops qualifying while a run looks at it is judged as it is then, and kept', { skip }, async (t) => {
  // The run found the action (decided in 2009, final) while a change was under way that puts it in
  // objection, a stage kept whatever its age. Its delete waited for that change, and then removed the
  // row by its id anyway: a contested decision destroyed (found in a review, 5 December 2026).
  const ctx = await build(t);
  const officer = await ctx.client('officer', 'GM0363');
  const make = records(ctx.app);
  const est = await make.establishment(officer.auth);
  const action = await make.action(officer.auth, est.id, { decisionDate: '2009-05-01', stage: 'final' });
  const changer = new pg.Client({ connectionString: (ctx.database.outside as { databaseUrl: string }).databaseUrl });
  await changer.connect();
  t.teardown(() => changer.end());
  await changer.query('begin');
  await changer.query(`update enforcement_actions set stage = 'objection' where id = $1`, [action.id]);

  const run = ctx.services.commands.retention.destroyPastRetention(
    systemContext('scheduled run'),
    retentionRules({ enforcementActionYears: 10, selectionList: 'test' }),
    '2030-06-01',
  );
  for (;;) {
    const [row] = await asSuperuser<{ n: number }>(
      ctx.database,
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%enforcement_actions%'`,
    );
    if ((row?.n ?? 0) > 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await changer.query('commit'); // the objection lands while the run waits for the row
  const report = await run;
  t.same(report.destroyed, { enforcement_action: 0 }, 'nothing destroyed');
  const [kept] = await asSuperuser<{ stage: string }>(ctx.database, `select stage from enforcement_actions where id = '${action.id}'`);
  t.equal(kept?.stage, 'objection', 'the action is there, in objection');
});
