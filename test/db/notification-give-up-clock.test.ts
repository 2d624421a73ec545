import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { claimDue, fanOut, recordAttempt } from '../../src/infrastructure/repositories/notifications.js';
import { testDatabase } from '../support/helper.js';

const ALL = { kind: 'all' } as const;
const TYPE = 'nl.overheid.handhavingsregister.establishment.changed';

/**
 * NOTIFICATIONS_GIVE_UP_AFTER_MS counts how long a delivery has been failing. One record's events go
 * out in order, so an event waits while an earlier one of the same record is retried; found in review,
 * its clock ran from when it was made, and after a long outage one failure of it disabled the
 * subscription. Its clock now starts at its first attempt.
 */
t.test('an event that waited behind an earlier one of its record starts its give-up clock at its first attempt', async (t) => {
  const database = await testDatabase(t);
  const { owner } = database;
  const someone = '00000000-0000-4000-8000-000000000001';
  const subscription = randomUUID();
  await owner.execute(sql`
    insert into subscriptions (id, callback_url, event_types, status, secret, owner_client_id, owner_role,
                               created_at, updated_at, created_by, updated_by)
    values (${subscription}, 'https://case-system.example/hook', array[${TYPE}], 'active', 'whsec_x', ${someone}, 'admin',
            now() - interval '2 days', now() - interval '2 days', ${someone}, ${someone})`);
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
  t.ok(await inTenant((tx) => recordAttempt(tx, { id: head?.id as string, leaseId: leaseA }, attempt, { delivered: true })));

  const [next] = await inTenant((tx) => claimDue(tx, 10, 30_000, leaseB));
  t.equal(next?.attempts, 1, 'the second, at its first attempt');
  const waitedMs = Date.now() - (next?.dueSince.getTime() ?? 0);
  t.ok(waitedMs < 60_000, `its clock starts now, not a day ago (${Math.round(waitedMs / 1000)} s)`);
});
