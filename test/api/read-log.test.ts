import t from 'tap';
import { buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { captureLog } from '../support/audit.js';
import { json, sample, testDatabase } from '../support/helper.js';
import { records } from '../support/records.js';

/** The app with a real pino logger writing into memory, at the most talkative level. */
async function buildLogged(t: Parameters<typeof testDatabase>[0], level = 'trace') {
  const database = await testDatabase(t);
  const log = captureLog();
  const { app, services } = await buildAppFor(database, loadConfig({}), { logger: createLogger(level, log.stream) });
  await app.ready();
  t.teardown(() => app.close());
  const client = async (role: 'officer' | 'admin', municipalityCode: string | null = null) => {
    const c = madeBy(
      await services.commands.apiClients.create(systemContext('test set-up'), { name: `log ${role}`, role, municipalityCode }),
    );
    return { id: c.id, token: c.token, auth: { authorization: `Bearer ${c.token}` } };
  };
  return { app, log, client };
}

t.test('reads of establishment-level records are logged without their content', async (t) => {
  const { app, log, client } = await buildLogged(t, 'info');
  const officer = await client('officer', 'GM0363');
  const est = json(
    await app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: officer.auth,
      payload: sample.establishment('GM0363', { name: 'Secret Name BV' }),
    }),
  );
  const action = json(
    await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(est.id as string) }),
  );
  log.lines.length = 0;

  await app.inject({ url: `/v1/establishments/${est.id}`, headers: { ...officer.auth, 'x-request-id': 'read-one' } });
  await app.inject({ url: '/v1/establishments', headers: officer.auth });
  await app.inject({ url: `/v1/enforcement-actions/${action.id}`, headers: officer.auth });
  await app.inject({ url: `/v1/enforcement-actions/${action.id}/audit-trail`, headers: officer.auth });
  await app.inject({ url: `/v1/establishments/${est.id}/licences`, headers: officer.auth });
  await app.inject({ url: '/v1/municipalities', headers: officer.auth });

  const reads = log.records().filter((r) => r.event === 'record-read');
  t.same(
    reads.map((r) => [r.route, r.objectId, r.count ?? null, r.statusCode]),
    [
      ['/v1/establishments/:id', est.id, null, 200],
      ['/v1/establishments', null, 1, 200],
      ['/v1/enforcement-actions/:id', action.id, null, 200],
      ['/v1/enforcement-actions/:id/audit-trail', action.id, 1, 200],
      ['/v1/establishments/:id/licences', est.id, 0, 200],
    ],
    'one line per read of a record, none for municipalities',
  );
  t.match(reads[0], { clientId: officer.id, clientRole: 'officer', method: 'GET', requestId: 'read-one' });
  t.notOk('actorId' in (reads[0] ?? {}), 'no person named where none is known');

  // A case system reading for one of its users names them (X-Acting-User): the person is in the line.
  log.lines.length = 0;
  await app.inject({ url: `/v1/establishments/${est.id}`, headers: { ...officer.auth, 'x-acting-user': 'j.de.vries' } });
  const [declared] = log.records().filter((r) => r.event === 'record-read');
  t.match(declared, { clientId: officer.id, actorId: 'j.de.vries', actorVerified: false }, 'who read, as the system declared');
  t.notOk(
    log.lines.some((l) => l.includes('Secret Name BV') || l.includes('Oudezijds')),
    'the record’s content is not in the log',
  );
});

t.test('an export, a bulk read of records, is logged like any read: who, which type, which municipality', async (t) => {
  const { app, log, client } = await buildLogged(t, 'info');
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  await records(app).establishment(officer.auth, 'GM0363', { name: 'Secret Name BV' });
  log.lines.length = 0;

  const own = await app.inject({ url: '/v1/exports/establishments', headers: { ...officer.auth, 'x-request-id': 'export-own' } });
  t.equal(own.statusCode, 200, own.body);
  t.match(own.body, /Secret Name BV/, 'the export holds the records');
  const theirs = await app.inject({ url: '/v1/exports/enforcement-actions?municipality=GM0363&format=ndjson', headers: admin.auth });
  t.equal(theirs.statusCode, 200, theirs.body);
  // A streamed answer's onResponse runs once the stream has closed, after inject resolved: wait for both lines.
  const readLines = () => log.records().filter((r) => r.event === 'record-read');
  for (let waited = 0; readLines().length < 2 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));

  const reads = readLines();
  t.match(
    reads,
    [
      {
        route: '/v1/exports/:recordType',
        recordType: 'establishments',
        clientId: officer.id,
        clientRole: 'officer',
        requestId: 'export-own',
      },
      {
        route: '/v1/exports/:recordType',
        recordType: 'enforcement-actions',
        municipality: 'GM0363',
        clientId: admin.id,
        clientRole: 'admin',
      },
    ],
    'one record-read line per export',
  );
  t.equal(reads.length, 2);
  t.notOk(
    log.lines.some((l) => l.includes('Secret Name BV')),
    'the records’ content is not in the log',
  );
});

t.test('an admin’s export names its municipality in the log by either query name', async (t) => {
  const { app, log, client } = await buildLogged(t, 'info');
  const admin = await client('admin');
  log.lines.length = 0;

  // municipalityCode is the name the contract documents; municipality its deprecated former name.
  const res = await app.inject({ url: '/v1/exports/establishments?municipalityCode=GM0599', headers: admin.auth });
  t.equal(res.statusCode, 200, res.body);
  const readLines = () => log.records().filter((r) => r.event === 'record-read');
  for (let waited = 0; readLines().length < 1 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  t.match(readLines(), [{ route: '/v1/exports/:recordType', recordType: 'establishments', municipality: 'GM0599', clientId: admin.id }]);
});

t.test('the log never holds a token', async (t) => {
  const { app, log, client } = await buildLogged(t);
  const admin = await client('admin');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: admin.auth,
    payload: { name: 'case system', role: 'officer', municipalityCode: 'GM0363' },
  });
  t.equal(created.statusCode, 201);
  const newToken = json(created).token as string;
  t.ok(newToken.length > 20);
  const officer = { authorization: `Bearer ${newToken}` };
  await app.inject({ url: '/v1/establishments', headers: officer });
  await app.inject({ url: '/v1/establishments?name=x', headers: { ...officer, 'x-request-id': 'with-token' } });
  await app.inject({ url: '/v1/audit-trail', headers: officer }); // 403
  const forged = 'er_forgedTokenThatDoesNotExist0123456789abcdef';
  await app.inject({ url: '/v1/establishments', headers: { authorization: `Bearer ${forged}` } }); // 401
  await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer, payload: '{not json' }); // 400
  await app.inject({ url: '/v1/api-clients', headers: admin.auth });

  t.ok(log.lines.length > 10, `the log is not empty (${log.lines.length} lines at trace level)`);
  for (const secret of [newToken, admin.token, forged]) {
    t.notOk(
      log.lines.some((l) => l.includes(secret)),
      `token ${secret.slice(0, 6)}… appears in no log line`,
    );
  }
});
