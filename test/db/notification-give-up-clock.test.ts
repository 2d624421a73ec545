import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Db } from '../../src/infrastructure/db/client.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import {
  claimDue,
  fanOut,
  recordAttempt,
  releaseDelivery,
  restartPendingDeliveries,
} from '../../src/infrastructure/repositories/notifications.js';
import { testDatabase } from '../support/helper.js';

const ALL = { kind: 'all' } as const;
const TYPE = 'nl.overheid.handhavingsregister.establishment.changed';

/** An active subscription to TYPE, made `daysAgo` days ago, straight in the table (no API: the repositories are under test). */
async function subscriptionMadeDaysAgo(owner: Db, daysAgo: number): Promise<string> {
  const someone = '00000000-0000-4000-8000-000000000001';
  const id = randomUUID();
  const made = sql.raw(`now() - interval '${daysAgo} days'`);
  await owner.execute(sql`
    insert into subscriptions (id, callback_url, event_types, status, secret, owner_client_id, owner_role,
                               created_at, updated_at, created_by, updated_by)
    values (${id}, 'https://case-system.example/hook', array[${TYPE}], 'active', 'whsec_x', ${someone}, 'admin',
            ${made}, ${made}, ${someone}, ${someone})`);
  return id;
}

/**
 * NOTIFICATIONS_GIVE_UP_AFTER_MS counts how long a delivery has been failing. One record's events go
 * out in order, so an event waits while an earlier one of the same record is retried; found in review,
 * its clock ran from when it was made, and after a long outage one failure of it disabled the
 * subscription. Its clock now starts at its first attempt.
 */
t.test('an event that waited behind an earlier one of its record starts its give-up clock at its first attempt', async (t) => {
  const database = await testDatabase(t);
  const { owner } = database;
  const subscription = await subscriptionMadeDaysAgo(owner, 2);
  for (const change of ['first', 'second']) {
    await owner.execute(sql`insert into outbox_events (id, type, subject, occurred_at, event)
      values (gen_random_uuid(), ${TYPE}, 'record-1', now(), ${JSON.stringify({ change })}::jsonb)`);
  }
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, ALL, fn);
  t.equal(await inTenant((tx) => fanOut(tx, 10)), 2, 'two events, two deliveries');

  const [leaseA, leaseB] = [randomUUID(), randomUUID()];
  const [head, ...others] = await inTenant((tx) => claimDue(tx, 10, 30_000, leaseA));
  t.same(others, [], 'only the first of the record is due: the second waits');
  // The receiver was down for a day: the first has been retried all along, the second waited as long.
  await owner.execute(sql`update deliveries set due_since = now() - interval '1 day'`);
  const attempt = {
    id: randomUUID(),
    deliveryId: head?.id as string,
    subscriptionId: subscription,
    eventId: head?.eventId as string,
    eventType: TYPE,
    subject: 'record-1',
    attempt: 2,
    outcome: 'succeeded',
    statusCode: 200,
    durationMs: 5,
    attemptedAt: new Date(),
  };
  t.equal(
    await inTenant((tx) =>
      recordAttempt(tx, { id: head?.id as string, leaseId: leaseA, attempts: head?.attempts as number }, attempt, { delivered: true }),
    ),
    'moved',
  );

  const [next] = await inTenant((tx) => claimDue(tx, 10, 30_000, leaseB));
  t.equal(next?.attempts, 1, 'the second, at its first attempt');
  const waitedMs = Date.now() - (next?.dueSince.getTime() ?? 0);
  t.ok(waitedMs < 60_000, `its clock starts now, not a day ago (${Math.round(waitedMs / 1000)} s)`);
});

/**
 * A subscription paused or re-enabled while a call of one of its deliveries is under way (found in
 * review): the call's failure pushed a restarted delivery back by the old attempt's backoff (and a cut
 * call took its attempts below 0), and a delivery given up while paused was abandoned without its
 * owner being told (the pause kept its own reason, nothing said "given up").
 */
t.test('a call that fails while its subscription is paused or re-enabled neither holds back nor gives up its delivery', async (t) => {
  const database = await testDatabase(t);
  const { owner } = database;
  const subscription = await subscriptionMadeDaysAgo(owner, 1);
  await owner.execute(sql`insert into outbox_events (id, type, subject, occurred_at, event)
    values (gen_random_uuid(), ${TYPE}, 'record-1', now(), '{}'::jsonb)`);
  const inTenant = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(database.db, ALL, fn);
  await inTenant((tx) => fanOut(tx, 10));
  const state = async () =>
    (
      (await owner.execute(
        sql`select status, attempts, extract(epoch from next_attempt_at - now())::int as due_in from deliveries`,
      )) as unknown as { rows: { status: string; attempts: number; due_in: number }[] }
    ).rows[0];
  const claim = async () => {
    const lease = randomUUID();
    const [d] = await inTenant((tx) => claimDue(tx, 10, 30_000, lease));
    if (!d) throw new Error('nothing due');
    return { id: d.id, leaseId: lease, attempts: d.attempts, eventId: d.eventId };
  };
  const failed = (d: { id: string; eventId: string; attempts: number }) => ({
    id: randomUUID(),
    deliveryId: d.id,
    subscriptionId: subscription,
    eventId: d.eventId,
    eventType: TYPE,
    subject: 'record-1',
    attempt: d.attempts,
    outcome: 'failed',
    statusCode: 500,
    durationMs: 5,
    attemptedAt: new Date(),
  });
  const inAnHour = new Date(Date.now() + 3_600_000);

  // Re-enabled during the call: its attempts start again at 0, and the failure leaves it due at once.
  const first = await claim();
  await inTenant((tx) => restartPendingDeliveries(tx, subscription));
  t.equal(await inTenant((tx) => recordAttempt(tx, first, failed(first), { delivered: false, nextAttemptAt: inAnHour })), 'moved');
  t.match(await state(), { status: 'pending', attempts: 0 }, 'pending, counted afresh');
  t.ok(((await state())?.due_in ?? 3600) <= 1, 'due now, not after the old attempt’s backoff');

  // Re-enabled during a call a shutdown then cut: given back at 0 attempts, not -1.
  const second = await claim();
  await inTenant((tx) => restartPendingDeliveries(tx, subscription));
  await inTenant((tx) => releaseDelivery(tx, second));
  t.match(await state(), { status: 'pending', attempts: 0 }, 'a cut call after a restart: 0 attempts');

  // Paused during the call that would give it up: it waits for the subscription to be enabled again.
  const third = await claim();
  await owner.execute(
    sql`update subscriptions set status = 'disabled', disabled_reason = 'paused by its owner' where id = ${subscription}`,
  );
  t.equal(await inTenant((tx) => recordAttempt(tx, third, failed(third), { delivered: false, nextAttemptAt: null })), 'moved');
  t.match(await state(), { status: 'pending' }, 'not given up while paused');

  // Active, the same failure gives it up.
  await owner.execute(sql`update subscriptions set status = 'active' where id = ${subscription}`);
  const fourth = await claim();
  t.equal(await inTenant((tx) => recordAttempt(tx, fourth, failed(fourth), { delivered: false, nextAttemptAt: null })), 'abandoned');
  t.match(await state(), { status: 'abandoned' }, 'given up');
});
