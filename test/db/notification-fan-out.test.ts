import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Tx } from '../../src/infrastructure/db/client.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { fanOut } from '../../src/infrastructure/repositories/notifications.js';
import { type TestDatabase, testDatabase, usingPostgres } from '../support/helper.js';

const ALL = { kind: 'all' } as const;
const TYPE = 'nl.overheid.handhavingsregister.establishment.created';
const SOMEONE = '00000000-0000-4000-8000-000000000001';

/** An admin's active subscription to TYPE, made `age` ago (an SQL interval). */
const subscribe = (owner: TestDatabase['owner'], age: string) =>
  owner.execute(sql`
    insert into subscriptions (id, callback_url, event_types, status, secret, owner_client_id, owner_role,
                               created_at, updated_at, created_by, updated_by)
    values (gen_random_uuid(), 'https://case-system.example/hook', array[${TYPE}], 'active', 'whsec_x', ${SOMEONE}, 'admin',
            now() - ${age}::interval, now() - ${age}::interval, ${SOMEONE}, ${SOMEONE})`);

/** The subjects of the events that have a delivery. */
const delivered = async (owner: TestDatabase['owner']) =>
  (
    (await owner.execute(
      sql`select e.subject from deliveries d join outbox_events e on e.seq = d.event_seq order by e.subject`,
    )) as unknown as { rows: { subject: string }[] }
  ).rows.map((r) => r.subject);

t.test(
  'an event committed while a fan-out runs, numbered before the events it handles, is fanned out later, never skipped',
  { skip: !usingPostgres && 'needs PostgreSQL: two transactions at once' },
  async (t) => {
    const database = await testDatabase(t);
    const { owner } = database;
    await subscribe(owner, '1 hour');
    const event = (subject: string) =>
      sql`insert into outbox_events (id, type, subject, occurred_at, event) values (gen_random_uuid(), ${TYPE}, ${subject}, now(), '{}'::jsonb)`;

    // A command's transaction takes its event's number, then commits after a later one did
    // (its COMMIT waits, e.g. for the audit chain): numbers are not commit order.
    let commitLate = () => {};
    const committing = new Promise<void>((resolve) => {
      commitLate = resolve;
    });
    let numbered = () => {};
    const hasNumber = new Promise<void>((resolve) => {
      numbered = resolve;
    });
    const late = owner.transaction(async (tx) => {
      await tx.execute(event('late'));
      numbered();
      await committing;
    });
    await hasNumber;
    await owner.execute(event('early'));

    // The late one commits while the fan-out runs: after its deliveries were made, before the events were marked done.
    let statements = 0;
    await withTenant(database.db, ALL, (tx) =>
      fanOut(
        new Proxy(tx, {
          get(target, key) {
            if (key !== 'execute') return Reflect.get(target, key);
            return async (query: Parameters<Tx['execute']>[0]) => {
              const result = await target.execute(query);
              if (++statements === 3) {
                commitLate();
                await late;
              }
              return result;
            };
          },
        }),
        500,
      ),
    );
    t.equal(statements, 4, 'lock, events, deliveries, marked done');
    await withTenant(database.db, ALL, (tx) => fanOut(tx, 500));

    // The late event was marked fanned out without a delivery: lost for good.
    t.same(await delivered(owner), ['early', 'late'], 'each committed event has its delivery');
  },
);

t.test(
  'an event stamped before a subscription was made but visible only after it reaches it; an old one never sent does not',
  async (t) => {
    // An import's batch stamps its events as it applies each record and commits later: a subscription
    // acknowledged in between must get them (it did not: the fan-out compared created_at with occurred_at).
    const database = await testDatabase(t);
    const { owner } = database;
    await subscribe(owner, '0 seconds');
    const event = (subject: string, age: string) =>
      owner.execute(
        sql`insert into outbox_events (id, type, subject, occurred_at, event) values (gen_random_uuid(), ${TYPE}, ${subject}, now() - ${age}::interval, '{}'::jsonb)`,
      );
    await event('stamped a minute before, committed after', '1 minute');
    await event('stamped two hours before, never sent out', '2 hours');
    await withTenant(database.db, ALL, (tx) => fanOut(tx, 500));
    t.same(await delivered(owner), ['stamped a minute before, committed after']);
  },
);
