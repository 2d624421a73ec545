import { type SQL, sql } from 'drizzle-orm';
import t from 'tap';
import type { Db } from '../../src/infrastructure/db/client.js';
import { isDatabaseUnavailable, retryOnConflict } from '../../src/infrastructure/db/errors.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { json, sample, usingPostgres } from '../support/helper.js';
import { EST_HEADER, type Job, setUp } from '../support/imports.js';

/**
 * A transaction the server ends to break a deadlock (40P01) or for a serialization failure (40001)
 * kept nothing: run again, it may pass. A command is run again (retryOnConflict), an import resumes
 * from its last committed batch, and what still fails is a 503 with Retry-After, never a 500.
 *
 * The conflicts are raised by a trigger, as the server raises them, on the rows named below; a
 * sequence (not rolled back with the transaction) counts how many times.
 */
const rows = async <T>(db: Db, query: SQL): Promise<T[]> => ((await db.execute(query)) as unknown as { rows: T[] }).rows;

async function conflictOn(owner: Db, name: string, times: number, code = '40P01') {
  await owner.execute(sql.raw(`create sequence conflicts_raised`));
  await owner.execute(
    sql.raw(`create function raise_conflict() returns trigger language plpgsql security definer as $$
      begin
        if new.name = '${name}' and nextval('conflicts_raised') <= ${times} then
          raise exception 'deadlock detected (test)' using errcode = '${code}';
        end if;
        return new;
      end $$`),
  );
  await owner.execute(
    sql.raw(`create trigger raise_conflict before insert on establishments for each row execute function raise_conflict()`),
  );
  return async () => Number((await rows<{ n: number }>(owner, sql.raw(`select last_value as n from conflicts_raised`)))[0]?.n);
}

const countNamed = async (owner: Db, name: string) =>
  Number((await rows<{ n: number }>(owner, sql`select count(*)::int as n from establishments where name = ${name}`))[0]?.n);

/** The officer's POST of an establishment of this name. */
const postNamed = (a: Awaited<ReturnType<typeof setUp>>, name: string) =>
  a.app.inject({ method: 'POST', url: '/v1/establishments', headers: a.officer.auth, payload: sample.establishment('GM0363', { name }) });

t.test('a create the server ends for a deadlock is run again, and is made once', async (t) => {
  const a = await setUp(t);
  const raised = await conflictOn(a.database.owner, 'Club Twee', 2);
  const res = await postNamed(a, 'Club Twee');
  t.equal(res.statusCode, 201, res.body);
  t.equal(await raised(), 3, 'ended twice, made the third time');
  t.equal(await countNamed(a.database.owner, 'Club Twee'), 1, 'one establishment');
  const trail = await rows<{ n: number }>(
    a.database.owner,
    sql`select count(*)::int as n from audit_log where object_type = 'establishment' and object_id = ${json(res).id as string}::text`,
  );
  t.equal(Number(trail[0]?.n), 1, 'one audit entry');
});

t.test('a create that keeps meeting a serialization failure is a 503 with Retry-After, and changes nothing', async (t) => {
  const a = await setUp(t);
  const raised = await conflictOn(a.database.owner, 'Club Nooit', 100, '40001');
  const res = await postNamed(a, 'Club Nooit');
  t.equal(res.statusCode, 503, res.body);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After');
  t.equal(await raised(), 3, 'tried three times');
  t.equal(await countNamed(a.database.owner, 'Club Nooit'), 0, 'nothing stored');
});

t.test('an upload with an Idempotency-Key whose transaction is run again is stored once, and its retry answers it', async (t) => {
  const a = await setUp(t);
  // Ended once when the key's response is stored: after the file's fingerprint was taken, so the run again takes it again.
  await a.database.owner.execute(sql.raw(`create sequence conflicts_raised`));
  await a.database.owner.execute(
    sql.raw(`create function raise_conflict() returns trigger language plpgsql security definer as $$
      begin
        if nextval('conflicts_raised') = 1 then raise exception 'could not serialize (test)' using errcode = '40001'; end if;
        return new;
      end $$`),
  );
  await a.database.owner.execute(
    sql.raw(`create trigger raise_conflict before insert on idempotency_keys for each row execute function raise_conflict()`),
  );
  const file = `${EST_HEADER}\nK-1,GM0363,Club Een,club,Kade,1,,1012DK,Amsterdam,,\n`;
  const key = { ...a.officer.auth, 'idempotency-key': 'upload-k1' };
  const first = await a.upload(file, 'recordType=establishments', 'text/csv', key);
  t.equal(first.statusCode, 202, first.body);
  const retry = await a.upload(file, 'recordType=establishments', 'text/csv', key);
  t.equal(retry.statusCode, 202, retry.body);
  t.equal(json<Job>(retry).id, json<Job>(first).id, 'the retry answers the first job');
  const raised = await rows<{ n: number }>(a.database.owner, sql`select last_value::int as n from conflicts_raised`);
  t.equal(Number(raised[0]?.n), 2, 'the first upload’s transaction was ended once and run again');
  t.equal(Number((await rows<{ n: number }>(a.database.owner, sql`select count(*)::int as n from imports`))[0]?.n), 1, 'one job');
});

t.test('an import batch the server ends for a deadlock resumes from the last committed batch, and the job succeeds', async (t) => {
  const a = await setUp(t, { IMPORT_BATCH_SIZE: '2' });
  const raised = await conflictOn(a.database.owner, 'Club Drie', 1);
  const names = ['Club Een', 'Club Twee', 'Club Drie', 'Club Vier'];
  const file = [EST_HEADER, ...names.map((name, i) => `E-${i + 1},GM0363,${name},club,Kade,${i + 1},,1012DK,Amsterdam,,`)].join('\n');
  const res = await a.upload(file, 'recordType=establishments&mode=row-by-row');
  t.equal(res.statusCode, 202, res.body);
  const warned: object[] = [];
  const failed: object[] = [];
  // The worker as the service runs it, with its log: it claims the job again after an interruption.
  a.services.imports.worker.start({ info: () => {}, warn: (o) => warned.push(o), error: (o) => failed.push(o) });
  t.teardown(() => a.services.imports.worker.stop());
  const job = await a.jobWhenEnded(json<Job>(res).id);
  t.match(job, { state: 'succeeded', rowsDone: 4, counts: { created: 4, rejected: 0 } });
  t.same(job.problems, [], 'no problem: the interruption was not the file’s');
  t.equal(await raised(), 2, 'the batch with Club Drie was ended once, and ran again');
  t.same(failed, [], 'nothing logged as an error');
  t.match(warned, [{ importId: job.id, tries: 1 }], 'the interruption is logged as a warning');
  const stored = (await rows<{ name: string }>(a.database.owner, sql`select name from establishments order by name`)).map((r) => r.name);
  t.same(stored, [...names].sort(), 'each record once');
});

t.test('two transactions that lock two rows in opposite order: the server ends one, retryOnConflict runs it again', async (t) => {
  if (!usingPostgres) {
    t.comment('PGlite runs one transaction at a time: no deadlock to meet');
    return;
  }
  const a = await setUp(t);
  const ids: string[] = [];
  for (const name of ['Club A', 'Club B']) ids.push(json(await postNamed(a, name)).id as string);
  let arrived = 0;
  let release = () => {};
  const bothHoldOne = new Promise<void>((r) => (release = r));
  let attempts = 0;
  const lockBoth = (first: string, second: string) =>
    retryOnConflict(() =>
      withTenant(a.database.owner, { kind: 'all' }, async (tx) => {
        attempts += 1;
        await tx.execute(sql`select id from establishments where id = ${first} for update`);
        if (++arrived === 2) release();
        await bothHoldOne; // the first time round, each holds one row and waits for the other's
        await tx.execute(sql`select id from establishments where id = ${second} for update`);
        return first;
      }),
    );
  const [x, y] = ids as [string, string];
  const done = await Promise.allSettled([lockBoth(x, y), lockBoth(y, x)]);
  t.same(
    done.map((d) => d.status),
    ['fulfilled', 'fulfilled'],
    JSON.stringify(done.map((d) => (d.status === 'rejected' ? String(d.reason) : 'ok'))),
  );
  t.equal(attempts, 3, 'one of the two ran again');
  // Without the retry the same deadlock is an error the problem handler answers with 503.
  arrived = 0;
  const once = Promise.allSettled([
    withTenant(a.database.owner, { kind: 'all' }, async (tx) => {
      await tx.execute(sql`select id from establishments where id = ${x} for update`);
      await new Promise((r) => setTimeout(r, 200));
      await tx.execute(sql`select id from establishments where id = ${y} for update`);
    }),
    withTenant(a.database.owner, { kind: 'all' }, async (tx) => {
      await tx.execute(sql`select id from establishments where id = ${y} for update`);
      await new Promise((r) => setTimeout(r, 200));
      await tx.execute(sql`select id from establishments where id = ${x} for update`);
    }),
  ]);
  const rejected = (await once).filter((d): d is PromiseRejectedResult => d.status === 'rejected');
  t.equal(rejected.length, 1, 'the server ended one of them');
  t.ok(isDatabaseUnavailable(rejected[0]?.reason), 'as a moment’s unavailability (503), not a fault (500)');
});
