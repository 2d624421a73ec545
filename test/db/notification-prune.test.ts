import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Db } from '../../src/infrastructure/db/client.js';
import { build, usingPostgres } from '../support/helper.js';

/**
 * NOTIFICATIONS_KEEP_DAYS: the dispatcher removes deliveries finished (delivered or given up) before
 * the cutoff, with their attempt logs, and events no delivery refers to any more; what is pending,
 * or finished within the period, stays.
 */
const TYPE = 'nl.overheid.handhavingsregister.establishment.created';
const DAY = 86_400_000;
const someone = '00000000-0000-4000-8000-000000000001';

const rows = async <T>(owner: Db, query: ReturnType<typeof sql>) => ((await owner.execute(query)) as unknown as { rows: T[] }).rows;

/** Two subscriptions (one disabled, its delivery still waiting) and events in every state that matters. */
async function seed(owner: Db) {
  const subscription = async (status: string) => {
    const [row] = await rows<{ id: string }>(
      owner,
      sql`insert into subscriptions (id, callback_url, event_types, status, secret, owner_client_id, owner_role,
                                     created_at, updated_at, created_by, updated_by)
          values (gen_random_uuid(), 'https://case-system.example/hook', array[${TYPE}], ${status}, 'whsec_x', ${someone}, 'admin',
                  now() - interval '200 days', now() - interval '200 days', ${someone}, ${someone})
          returning id`,
    );
    return String(row?.id);
  };
  const active = await subscription('active');
  const disabled = await subscription('disabled');
  const event = async (subject: string, fannedOutDaysAgo: number) => {
    const [row] = await rows<{ seq: unknown }>(
      owner,
      sql`insert into outbox_events (id, type, subject, occurred_at, event, fanned_out_at)
          values (gen_random_uuid(), ${TYPE}, ${subject}, now() - make_interval(days => ${fannedOutDaysAgo}), '{}'::jsonb,
                  now() - make_interval(days => ${fannedOutDaysAgo}))
          returning seq`,
    );
    return Number(row?.seq);
  };
  const delivery = async (subscriptionId: string, seq: number, status: string, finishedDaysAgo: number | null) => {
    const [row] = await rows<{ id: string }>(
      owner,
      sql`insert into deliveries (id, subscription_id, event_seq, subject, status, attempts, next_attempt_at, created_at, due_since, finished_at)
          values (gen_random_uuid(), ${subscriptionId}, ${seq}, 'subject', ${status}, 1, now(), now() - interval '200 days',
                  now() - interval '200 days',
                  case when ${finishedDaysAgo}::int is null then null else now() - make_interval(days => ${finishedDaysAgo}::int) end)
          returning id`,
    );
    const id = String(row?.id);
    await owner.execute(
      sql`insert into delivery_attempts (id, delivery_id, subscription_id, event_id, event_type, subject, attempt, outcome, duration_ms, attempted_at)
          values (gen_random_uuid(), ${id}, ${subscriptionId}, gen_random_uuid(), ${TYPE}, 'subject', 1, 'failed', 5, now() - interval '150 days')`,
    );
    return id;
  };
  const oldDelivered = await event('old-delivered', 120);
  const shared = await event('old-shared-with-a-waiting-delivery', 120);
  const unreferenced = await event('old-without-deliveries', 120);
  const recent = await event('recently-delivered', 5); // events are numbered in about the order of their fan-out
  const deliveries = {
    delivered: await delivery(active, oldDelivered, 'delivered', 60),
    abandoned: await delivery(active, shared, 'abandoned', 100),
    waiting: await delivery(disabled, shared, 'pending', null),
    recent: await delivery(active, recent, 'delivered', 1),
  };
  return { events: { oldDelivered, shared, recent, unreferenced }, deliveries };
}

const quiet = () => {
  const lines: { obj: object; msg: string }[] = [];
  const keep = (obj: object, msg: string) => lines.push({ obj, msg });
  return { log: { info: keep, warn: keep, error: keep }, lines };
};

/** `n` events fanned out 100 days ago that no delivery refers to (no subscription wanted them). */
const oldEventsWithoutDeliveries = (owner: Db, n: number) =>
  owner.execute(
    sql`insert into outbox_events (id, type, subject, occurred_at, event, fanned_out_at)
        select gen_random_uuid(), ${TYPE}, 'unwanted-' || g, now() - interval '100 days', '{}'::jsonb, now() - interval '100 days'
        from generate_series(1, ${n}::int) g`,
  );

/** The fields of the prune's log lines ('pruned …'). */
const pruneLines = (lines: { obj: object; msg: string }[]) =>
  lines.filter((l) => l.msg.startsWith('pruned')).map((l) => l.obj as { deliveries: number; events: number });

/** A promise and the function that resolves it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open: () => open(), opened };
}

/** What is left: delivery ids and the deliveries the attempt log refers to (sorted), and event numbers in order. */
async function remaining(owner: Db) {
  const ids = async (query: ReturnType<typeof sql>) => (await rows<{ v: unknown }>(owner, query)).map((r) => String(r.v)).sort();
  return {
    deliveries: await ids(sql`select id as v from deliveries`),
    attempts: await ids(sql`select delivery_id as v from delivery_attempts`),
    events: (await rows<{ seq: unknown }>(owner, sql`select seq from outbox_events order by seq`)).map((r) => Number(r.seq)),
  };
}

/** After a prune with a 30-day period: the waiting and the recent delivery (each with its attempt) and their events. */
const afterPrune = ({ events, deliveries }: Awaited<ReturnType<typeof seed>>) => {
  const kept = [deliveries.waiting, deliveries.recent].sort();
  return { deliveries: kept, attempts: kept, events: [events.shared, events.recent] };
};

t.test('finished more than NOTIFICATIONS_KEEP_DAYS ago: removed with its attempts; pending or recent: kept', async (t) => {
  const { services, database } = await build(t);
  const { owner } = database;
  const seeded = await seed(owner);
  const { log, lines } = quiet();
  const dispatcher = services.notifications.dispatcher(log, { keepMs: 30 * DAY });
  t.ok((await dispatcher.tick()) >= 3, 'the round reports the rows it removed as work done');

  t.same(
    await remaining(owner),
    afterPrune(seeded),
    'removed: old finished deliveries with their attempt logs, old events no delivery refers to; an event stays while a delivery refers to it',
  );
  t.match(pruneLines(lines), [{ deliveries: 2, events: 2 }], 'one log line with what was removed');
  t.equal(pruneLines(lines).length, 1, 'and only one');

  t.equal(await dispatcher.tick(), 0, 'the next prune is an hour away: a round with nothing to do does nothing');
});

t.test('in steps of two rows: the walk over the events goes on where it stopped, with the same result', async (t) => {
  const { services, database } = await build(t);
  const { owner } = database;
  // More old events without deliveries, numbered before the seeded ones: the walk must go past them and on.
  await oldEventsWithoutDeliveries(owner, 5);
  const seeded = await seed(owner);
  const { log, lines } = quiet();
  const dispatcher = services.notifications.dispatcher(log, { keepMs: 30 * DAY, pruneBatch: 2 });
  let rounds = 0;
  while ((await dispatcher.tick()) > 0) rounds += 1;
  t.ok(rounds >= 3, `${rounds} rounds: two deliveries at once, then the events two at a time`);
  t.same(
    await remaining(owner),
    afterPrune(seeded),
    'the same as in one step: every old event reached, wherever the walk stopped between steps',
  );
  t.match(pruneLines(lines), [{ deliveries: 2, events: 7 }], 'one log line for the whole prune');
  t.equal(pruneLines(lines).length, 1, 'not one per step');
});

t.test('two instances pruning at once: no error, each row removed once, the same result', async (t) => {
  const { services, database } = await build(t);
  const { owner } = database;
  await oldEventsWithoutDeliveries(owner, 40);
  const seeded = await seed(owner);
  const instances = [1, 2].map(() => quiet());
  const dispatchers = instances.map(({ log }) => services.notifications.dispatcher(log, { keepMs: 30 * DAY, pruneBatch: 3 }));
  // Each loops until its own prune is done; a deadlock or a conflict would reject here.
  await Promise.all(
    dispatchers.map(async (d) => {
      while ((await d.tick()) > 0);
    }),
  );
  t.same(await remaining(owner), afterPrune(seeded), 'everything old went once, nothing else');
  const removed = instances.flatMap(({ lines }) => pruneLines(lines));
  t.equal(
    removed.reduce((n, r) => n + r.events, 0),
    42,
    'the two logs together count each removed event once',
  );
});

t.test(
  'a delivery another transaction holds (a redelivery under way) is passed over, not waited for, and goes at a later prune',
  { skip: !usingPostgres && 'needs PostgreSQL: two transactions at once' },
  async (t) => {
    const { services, database } = await build(t);
    const { owner } = database;
    const seeded = await seed(owner);
    const [held, released] = [gate(), gate()];
    const holder = owner.transaction(async (tx) => {
      await tx.execute(sql`select id from deliveries where id = ${seeded.deliveries.delivered} for update`);
      held.open();
      await released.opened;
    });
    await held.opened;
    const { log } = quiet();
    const first = services.notifications.dispatcher(log, { keepMs: 30 * DAY });
    const waited = await Promise.race([
      first.tick().then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5000)),
    ]);
    t.notOk(waited, 'the prune did not wait for the held row');
    const ids = (await remaining(owner)).deliveries;
    t.ok(ids.includes(seeded.deliveries.delivered), 'the held delivery is still there');
    t.notOk(ids.includes(seeded.deliveries.abandoned), 'the other old one is gone');
    released.open();
    await holder;
    await services.notifications.dispatcher(log, { keepMs: 30 * DAY }).tick(); // a later prune (a new dispatcher's is due at once)
    t.same(await remaining(owner), afterPrune(seeded), 'the next prune finishes the work');
  },
);

t.test('a prune that fails does not fail the round; it is tried again an hour later, not every round', async (t) => {
  const { services, database } = await build(t);
  const { owner } = database;
  await seed(owner);
  await owner.execute(
    sql.raw(`create function refuse_delete() returns trigger language plpgsql as $$ begin raise exception 'no deletes today'; end $$`),
  );
  await owner.execute(sql.raw('create trigger refuse_delete before delete on deliveries for each row execute function refuse_delete()'));
  t.teardown(() => owner.execute(sql.raw('drop trigger if exists refuse_delete on deliveries')).then(() => undefined));
  const { log, lines } = quiet();
  const dispatcher = services.notifications.dispatcher(log, { keepMs: 30 * DAY });
  t.equal(await dispatcher.tick(), 0, 'the round ends normally, with nothing else to do');
  t.match(
    lines.filter((l) => l.msg.startsWith('pruning')),
    [{ msg: /failed; trying again in an hour/ }],
    'one warning',
  );
  t.equal(await dispatcher.tick(), 0, 'the next round does not try again');
  t.equal(lines.filter((l) => l.msg.startsWith('pruning')).length, 1, 'and logs nothing more');
  t.equal((await remaining(owner)).deliveries.length, 4, 'nothing was removed');
});

t.test('NOTIFICATIONS_KEEP_DAYS=0 keeps everything', async (t) => {
  const { services, database } = await build(t);
  const { owner } = database;
  await seed(owner);
  const { log } = quiet();
  const count = async () =>
    (
      await rows<{ d: unknown; a: unknown; e: unknown }>(
        owner,
        sql`select (select count(*) from deliveries) as d, (select count(*) from delivery_attempts) as a, (select count(*) from outbox_events) as e`,
      )
    ).map((r) => [Number(r.d), Number(r.a), Number(r.e)]);
  t.equal(await services.notifications.dispatcher(log, { keepMs: 0 }).tick(), 0, 'nothing to do');
  t.same(await count(), [[4, 4, 4]], 'every delivery, attempt and event is still there');
});

t.test(
  'a configured period reaches the dispatcher: NOTIFICATIONS_KEEP_DAYS=30 prunes, the default of 90 days only what is older',
  async (t) => {
    for (const [config, remaining] of [
      [{ NOTIFICATIONS_KEEP_DAYS: '30' }, 2],
      [{}, 3],
    ] as const) {
      const { services, database } = await build(t, { config });
      await seed(database.owner);
      await services.notifications.dispatcher(quiet().log).tick();
      const [row] = await rows<{ n: unknown }>(database.owner, sql`select count(*) as n from deliveries`);
      t.equal(Number(row?.n), remaining, `${JSON.stringify(config)}: ${remaining} deliveries remain`);
    }
  },
);
