import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { desc, eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, systemContext } from '../../src/application/context.js';
import type { EstablishmentInput } from '../../src/domain/records.js';
import { retentionRules } from '../../src/domain/retention.js';
import { auditLog } from '../../src/infrastructure/db/schema.js';
import { asSuperuser, forgedDestruction, forgedRedaction } from '../support/audit.js';
import { json, sample } from '../support/basics.js';
import { build, newSigningKey } from '../support/helper.js';

/**
 * scripts/verify-audit-trail.mjs is what an outside party runs, with the public key and a copy of the
 * data but none of the service's code (docs/audit-trail.md). It must agree with the service's own
 * verification on a trail with everything the service writes into it.
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/verify-audit-trail.mjs', import.meta.url));

interface Report {
  ok: boolean;
  entriesChecked: number;
  checkpointsChecked: number;
  problem: string | null;
}

const runVerifier = (args: string[]) =>
  new Promise<{ code: number; report: Report | null; stderr: string }>((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 2) : 0;
      let report: Report | null = null;
      try {
        report = JSON.parse(stdout) as Report;
      } catch {}
      resolve({ code, report, stderr });
    });
  });

t.test(
  'the outside verifier accepts what the service wrote (acting persons, destructions, checkpoints) and finds a blanked entry',
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-outside-verifier-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const { app, services, database, client } = await build(t, { auditSigningKey: newSigningKey(), dataDir: path.join(dir, 'data') });
    const officer = await client('officer', 'GM0363');
    const admin = await client('admin');
    const post = async (url: string, payload: object, headers: Record<string, string> = {}) => {
      const res = await app.inject({ method: 'POST', url, headers: { ...officer.auth, ...headers }, payload });
      t.equal(res.statusCode, 201, res.body);
      return json<{ id: string }>(res).id;
    };

    // An entry that names the acting person: its content hash covers the actor.
    const kept = await post('/v1/establishments', sample.establishment(), {
      'x-acting-user': 'p.bakker',
      'x-acting-user-name': 'P. Bakker',
    });
    await post('/v1/enforcement-actions', sample.action(kept, { decisionDate: '2023-03-01' }));
    // Records past retention, destroyed: their entries are blanked, a destroy entry lists them.
    const old = await post('/v1/establishments', sample.establishment('GM0363', { name: 'Privéhuis Oost' }));
    await post(
      '/v1/enforcement-actions',
      sample.action(old, { decisionDate: '2008-02-01', measure: 'warning', fine: undefined, stage: 'final' }),
    );
    const rules = retentionRules({ enforcementActionYears: 10, licenceYears: 10, establishmentYears: 1, selectionList: 'test' });
    const destroyed = await services.commands.retention.destroyPastRetention(systemContext('verifier test'), rules, '2030-06-01');
    t.same(destroyed.destroyed, { enforcement_action: 1, licence: 0, establishment: 1 }, 'the old establishment and its action');
    // Personal data written before the rule refused it, redacted from the entry that kept it: a redact entry records it.
    const officerContext = clientContext(
      { clientId: officer.id, name: 'officer', role: 'officer', municipalityCode: 'GM0363' },
      { requestId: null, reason: 'tip van anna@example.nl' },
    );
    const pre = madeBy(await services.commands.establishments.create(officerContext, sample.establishment() as EstablishmentInput));
    const [preEntry] = await asSuperuser<{ seq: number }>(database, `select seq::int from audit_log where object_id = '${pre.id}'`);
    await services.commands.redaction.redact(systemContext('AVG: verzoek FG'), [{ seq: preEntry?.seq ?? 0, fields: ['reason'] }]);

    t.equal((await app.inject({ method: 'POST', url: '/v1/audit-trail/checkpoints', headers: admin.auth })).statusCode, 201);
    const keyFile = path.join(dir, 'public-key.pem');
    writeFileSync(keyFile, json<{ pem: string }>(await app.inject({ url: '/v1/audit-trail/public-key' })).pem);
    const checkpointsFile = path.join(dir, 'checkpoints.json');
    writeFileSync(checkpointsFile, (await app.inject({ url: '/v1/audit-trail/checkpoints' })).body);
    const service = json<{ ok: boolean; entriesChecked: number }>(
      await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }),
    );
    t.same([service.ok, service.entriesChecked > 0], [true, true], 'the service finds its trail intact');
    const [actorEntry] = await asSuperuser<{ seq: number }>(database, "select seq::int from audit_log where actor_id = 'p.bakker'");
    t.ok(actorEntry, 'the trail names the acting person');
    const [destroyedEntry] = await asSuperuser<{ seq: number; client_role: string }>(
      database,
      'select seq::int, client_role from audit_log where "after" is null and "before" is null and action <> \'destroy\' order by seq limit 1',
    );
    t.ok(destroyedEntry, 'an entry of a destroyed record');
    const [checkpoint] = await asSuperuser<{ id: string; head_hash: string }>(database, 'select id, head_hash from audit_checkpoints');
    // Destructions forged to cover the acting person's entry once blanked, every hash recomputed: made now, while the
    // database is open, and put in at the end (the trail's head does not change meanwhile).
    const rows = database.owner ?? database.db;
    const [head] = await rows.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
    const [covered] = await rows
      .select()
      .from(auditLog)
      .where(eq(auditLog.seq, actorEntry?.seq ?? 0));
    const [preRow] = await rows
      .select()
      .from(auditLog)
      .where(eq(auditLog.seq, preEntry?.seq ?? 0));
    if (!head || !covered || !preRow) throw new Error('no entries');
    const forgedDestructionSql = (objectType: string) => {
      const row = forgedDestruction(head, covered, objectType, randomUUID());
      return `create table forged as select * from audit_log where seq = ${head.seq};
        update forged set seq = ${row.seq}, id = '${row.id}', action = 'destroy', object_type = '${objectType}', object_id = '${row.objectId}',
          "before" = null, reason = null, "after" = '${JSON.stringify(row.after)}'::jsonb, prev_hash = '${head.hash}',
          content_hash = '${row.contentHash}', hash = '${row.hash}';
        insert into audit_log select * from forged; drop table forged`;
    };

    const outside = database.outside;
    if (!outside) throw new Error('the test database has no outside address');
    const verify = async () => {
      // An embedded database is read by one process at a time: the service lets go of the folder first.
      if ('dataDir' in outside) {
        await app.close();
        await database.close();
      }
      const where = 'dataDir' in outside ? ['--data-dir', outside.dataDir] : ['--database-url', outside.databaseUrl];
      return runVerifier(['--public-key', keyFile, '--checkpoints', checkpointsFile, ...where]);
    };

    const intact = await verify();
    t.equal(intact.code, 0, `exit 0: ${JSON.stringify(intact.report)} ${intact.stderr}`);
    t.match(intact.report, { ok: true, entriesChecked: service.entriesChecked, checkpointsChecked: 1, problem: null });

    /** Runs SQL as the database's superuser, the append-only trigger off: on the folder once the service let go of it. */
    const tamper = async (statements: string) => {
      const script = `alter table audit_log disable trigger audit_log_append_only; ${statements}`;
      if ('dataDir' in outside) {
        const { PGlite } = await import('@electric-sql/pglite');
        const copy = await PGlite.create({ dataDir: outside.dataDir });
        await copy.exec(script);
        await copy.close();
      } else {
        for (const statement of script.split(';').filter((s) => s.trim())) await asSuperuser(database, statement);
      }
    };

    // The stored checkpoint altered, while the auditor holds a true copy of it: the stored one is checked too.
    await tamper(
      `alter table audit_checkpoints disable trigger audit_checkpoints_append_only; update audit_checkpoints set head_hash = '${'b'.repeat(64)}'`,
    );
    const forgedCheckpoint = await verify();
    t.equal(forgedCheckpoint.code, 1, 'a stored checkpoint altered: exit 1, though a kept copy of it is true');
    t.match(forgedCheckpoint.report, { ok: false, problem: new RegExp(`checkpoint ${checkpoint?.id} .* is not signed by this key`) });
    await tamper(
      `alter table audit_checkpoints disable trigger audit_checkpoints_append_only; update audit_checkpoints set head_hash = '${checkpoint?.head_hash}'`,
    );
    t.equal((await verify()).code, 0, 'put back, intact again');

    // Who made an entry of a destroyed record, altered: the hash its destroy entry recorded no longer matches.
    await tamper(`update audit_log set client_role = 'admin' where seq = ${destroyedEntry?.seq}`);
    const altered = await verify();
    t.equal(altered.code, 1, 'exit 1');
    t.match(altered.report, {
      ok: false,
      problem: new RegExp(`entry ${destroyedEntry?.seq}: the fields it kept after its destruction do not match`),
    });
    await tamper(`update audit_log set client_role = '${destroyedEntry?.client_role}' where seq = ${destroyedEntry?.seq}`);
    t.equal((await verify()).code, 0, 'put back, intact again');

    // A redacted entry changed beyond its redaction: its content no longer gives the hash the redact entry recorded.
    await tamper(`update audit_log set "after" = jsonb_set("after", '{name}', '"Club Blauw"') where seq = ${preEntry?.seq}`);
    const beyond = await verify();
    t.equal(beyond.code, 1, 'exit 1');
    t.match(beyond.report, { ok: false, problem: `entry ${preEntry?.seq}: content does not match its content hash` });
    // A redact entry forged to account for it: the field it names must hold the redaction's fixed text.
    const forged = forgedRedaction(head, { ...preRow, after: { ...(preRow.after as object), name: 'Club Blauw' } }, ['after.name']);
    await tamper(`create table forged as select * from audit_log where seq = ${head.seq};
      update forged set seq = ${forged.seq}, id = '${forged.id}', action = 'redact', object_type = '${forged.objectType}',
        object_id = '${forged.objectId}', "before" = null, reason = 'forged', "after" = '${JSON.stringify(forged.after)}'::jsonb,
        prev_hash = '${head.hash}', content_hash = '${forged.contentHash}', hash = '${forged.hash}';
      insert into audit_log select * from forged; drop table forged`);
    const forgedClaim = await verify();
    t.equal(forgedClaim.code, 1, 'a forged redaction of a name: exit 1');
    t.match(forgedClaim.report, { ok: false, problem: `entry ${preEntry?.seq}: content does not match its content hash` });
    await tamper(`delete from audit_log where seq = ${forged.seq}`);
    await tamper(`update audit_log set "after" = jsonb_set("after", '{name}', '"Club Rood"') where seq = ${preEntry?.seq}`);
    t.equal((await verify()).code, 0, 'put back, intact again');

    // A payload blanked without a destruction that records it is a break, as the service says too.
    await tamper(`update audit_log set "before" = null, "after" = null, reason = null where seq = ${actorEntry?.seq}`);
    const broken = await verify();
    t.equal(broken.code, 1, 'exit 1');
    t.match(broken.report, {
      ok: false,
      problem: `entry ${actorEntry?.seq}: its payload is gone, and no destroy entry records its destruction`,
    });

    // A destruction forged to account for it: retention never destroys an API client, and an
    // establishment's destruction lists only its own entries.
    await tamper(forgedDestructionSql('api_client'));
    const aboutClient = await verify();
    t.equal(aboutClient.code, 1, 'a forged destruction of an API client: exit 1');
    t.match(aboutClient.report, { ok: false, problem: /a destroy entry about a api_client, which is never destroyed/ });
    await tamper(`delete from audit_log where seq = ${head.seq + 1}`);
    await tamper(forgedDestructionSql('establishment'));
    const aboutAnother = await verify();
    t.equal(aboutAnother.code, 1, 'a forged destruction of another establishment: exit 1');
    t.match(aboutAnother.report, {
      ok: false,
      problem: new RegExp(`entry ${covered.seq}: destroy entry ${head.seq + 1} lists it, but it is about another record`),
    });
  },
);

/** A trail of one establishment, changed by `tamper` (SQL, as the database's superuser), then verified from outside. */
async function tampered(t: Test, tamper: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'er-outside-verifier-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { app, database, client } = await build(t, { auditSigningKey: newSigningKey(), dataDir: path.join(dir, 'data') });
  const officer = await client('officer', 'GM0363');
  const res = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  t.equal(res.statusCode, 201, res.body);
  const keyFile = path.join(dir, 'public-key.pem');
  writeFileSync(keyFile, json<{ pem: string }>(await app.inject({ url: '/v1/audit-trail/public-key' })).pem);
  const outside = database.outside;
  if (!outside) throw new Error('the test database has no outside address');
  let where: string[];
  if ('dataDir' in outside) {
    await app.close();
    await database.close();
    const { PGlite } = await import('@electric-sql/pglite');
    const copy = await PGlite.create({ dataDir: outside.dataDir });
    await copy.exec(tamper);
    await copy.close();
    where = ['--data-dir', outside.dataDir];
  } else {
    for (const statement of tamper.split(';').filter((s) => s.trim())) await asSuperuser(database, statement);
    where = ['--database-url', outside.databaseUrl];
  }
  return runVerifier(['--public-key', keyFile, ...where]);
}

t.test('the outside verifier reports an entry whose time is no time as broken (exit 1), not "could not run"', async (t) => {
  const broken = await tampered(
    t,
    `alter table audit_log disable trigger audit_log_append_only;
    update audit_log set occurred_at = 'infinity' where object_type = 'establishment'`,
  );
  t.equal(broken.code, 1, `exit 1: ${JSON.stringify(broken.report)} ${broken.stderr}`);
  t.match(broken.report, { ok: false, problem: /content cannot be read/ });
});

t.test('the outside verifier reports a checkpoint whose time is no time as broken (exit 1)', async (t) => {
  const broken = await tampered(
    t,
    `insert into audit_checkpoints (id, seq, head_hash, signed_at, key_id, signature)
    values (gen_random_uuid(), 1, repeat('0', 64), 'infinity', 'x', 'x')`,
  );
  t.equal(broken.code, 1, `exit 1: ${JSON.stringify(broken.report)} ${broken.stderr}`);
  t.match(broken.report, { ok: false, problem: /is not signed by this key/ });
});

t.test('the outside verifier finds an entry put in below seq 1', async (t) => {
  // A forged deletion at seq 0, inserted by someone with the database's superuser.
  const broken = await tampered(
    t,
    `insert into audit_log (seq, id, occurred_at, client_id, client_role, action, object_type, object_id,
      municipality_code, "before", "after", reason, request_id, prev_hash, hash, content_hash)
    select 0, gen_random_uuid(), occurred_at, client_id, client_role, 'delete', object_type, object_id, municipality_code,
      "after", null, 'forged', null, repeat('0', 64), repeat('0', 64), repeat('0', 64)
    from audit_log where object_type = 'establishment'`,
  );
  t.equal(broken.code, 1, `exit 1: ${JSON.stringify(broken.report)} ${broken.stderr}`);
  t.match(broken.report, { ok: false, problem: 'entry 0 lies outside the chain, which starts at seq 1' });
});
