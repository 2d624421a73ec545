import pg from 'pg';
import t from 'tap';
import { systemContext } from '../../src/application/context.js';
import { retentionRules } from '../../src/domain/retention.js';
import { asSuperuser } from '../support/audit.js';
import { build, json, sample, usingPostgres } from '../support/helper.js';

/**
 * Two destruction runs at once (a scheduled run on two instances): the second must not record the
 * destruction of records the first destroyed. Its candidates were read before the first committed;
 * its delete then found them gone.
 */
t.test(
  'a destruction run records only what it destroyed itself',
  { skip: !usingPostgres && 'PostgreSQL only: PGlite runs one transaction at a time' },
  async (t) => {
    const { app, services, database, client } = await build(t);
    const officer = await client('officer', 'GM0363');
    const est = json<{ id: string }>(
      await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: officer.auth,
      payload: sample.action(est.id, { decisionDate: '2009-05-01', stage: 'final' }),
    });
    t.equal(res.statusCode, 201, res.body);
    const rules = retentionRules({ enforcementActionYears: 10, selectionList: 'test' });
    const destroy = (run: string) => services.commands.retention.destroyPastRetention(systemContext(run), rules, '2030-06-01');

    // The first run's commit waits for the chain lock, which this session holds, after its delete.
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
    const second = destroy('run 2'); // reads the action, still there, and waits at its delete
    await waitingOn('delete from%');
    await holder.query('select pg_advisory_unlock(7240001)');
    const [one, two] = await Promise.all([first, second]);
    t.same([one.destroyed, two.destroyed], [{ enforcement_action: 1 }, { enforcement_action: 0 }], 'one action, destroyed once');
    const entries = await asSuperuser<{ reason: string }>(database, "select reason from audit_log where action = 'destroy'");
    t.same(
      entries.map((e) => e.reason),
      ['run 1'],
      'one destroy entry, by the run that destroyed it',
    );
  },
);
