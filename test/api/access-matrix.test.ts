import t from 'tap';
import { systemContext } from '../../src/application/context.js';
import { build, json, newSigningKey, sample } from '../support/helper.js';
import { records } from '../support/records.js';

/**
 * Every route × every kind of caller, with the expected status of each cell written out from the
 * rules: officers read and write their own municipality's records (another's is a 404); admins read
 * all records and manage municipalities and API clients, but write no records; analysts read
 * municipalities only. No token, or a revoked or malformed one, is 401.
 */
type Caller = 'none' | 'officerOwn' | 'officerOther' | 'analyst' | 'admin' | 'revoked' | 'malformed';
const CALLERS: Caller[] = ['none', 'officerOwn', 'officerOther', 'analyst', 'admin', 'revoked', 'malformed'];

interface Request {
  url: string;
  payload?: Record<string, unknown> | string;
  headers?: Record<string, string>;
}
interface Row {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** Builds the request for one cell; may create fresh records so writes do not disturb each other. */
  prepare: () => Promise<Request>;
  expect: Partial<Record<Caller, number>> & Record<'officerOwn' | 'officerOther' | 'analyst' | 'admin', number>;
}

t.test('access matrix: every route × role', async (t) => {
  // Every route is called with revoked and malformed tokens from one address: not a flood to be
  // limited here (the failure limit has its own test, auth-failures.test.ts).
  const { app, client, database, services } = await build(t, {
    config: { AUTH_FAILURES_PER_MINUTE: '0' },
    auditSigningKey: newSigningKey(),
  });
  const amsterdam = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const analyst = await client('analyst');
  const admin = await client('admin');
  const revoked = await client('officer', 'GM0363');
  const rev = await services.queries.apiClients.get(systemContext('test'), revoked.id);
  await services.commands.apiClients.revoke(systemContext('test'), revoked.id, rev.version);
  const auth: Record<Caller, Record<string, string>> = {
    none: {},
    officerOwn: amsterdam.auth,
    officerOther: rotterdam.auth,
    analyst: analyst.auth,
    admin: admin.auth,
    revoked: revoked.auth,
    malformed: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
  };
  const make = records(app);

  // Shared records for reads: one Amsterdam establishment with a licence and an action.
  const est = await make.establishment(amsterdam.auth);
  const lic = await make.licence(amsterdam.auth, est.id);
  const act = await make.action(amsterdam.auth, est.id);
  // Fresh records for each write cell.
  const freshEstablishment = () => make.establishment(amsterdam.auth);
  const freshLicence = async () => {
    const e = await freshEstablishment();
    return { e, l: await make.licence(amsterdam.auth, e.id) };
  };
  const freshAction = async () => make.action(amsterdam.auth, (await freshEstablishment()).id);
  const subscription = { callbackUrl: 'https://zaken.example/hook', eventTypes: ['nl.overheid.handhavingsregister.statistics.changed'] };
  const freshSubscription = async () =>
    json<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: amsterdam.auth, payload: subscription })).id;
  // Reporting attestations of Amsterdam, one per year (one live per municipality and year).
  let attestYear = 1990;
  const attestation = () => ({ municipalityCode: 'GM0363', year: attestYear++, complete: true, nothingToReport: true });
  const freshAttestation = async () =>
    json<{ id: string }>(
      await app.inject({ method: 'POST', url: '/v1/reporting-attestations', headers: amsterdam.auth, payload: attestation() }),
    ).id;
  const sharedAttestation = await freshAttestation();
  const sharedRelease = json<{ number: number }>(
    await app.inject({ method: 'POST', url: '/v1/statistics/releases', headers: admin.auth, payload: { title: 'shared' } }),
  ).number;
  const importFile =
    'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId\nM-1,,Club Matrix,club,Kade,1,,1012DK,Amsterdam,,\n';
  const csvUpload = { 'content-type': 'text/csv' };
  const freshImport = async () =>
    json<{ id: string }>(
      await app.inject({
        method: 'POST',
        url: '/v1/imports?recordType=establishments',
        headers: { ...amsterdam.auth, ...csvUpload },
        payload: importFile,
      }),
    ).id;
  let codeSeq = 900;
  const newCode = () => `GM${String(codeSeq++).padStart(4, '0')}`;
  const freshMunicipality = async () => {
    const code = newCode();
    await app.inject({ method: 'POST', url: '/v1/municipalities', headers: admin.auth, payload: { code, name: 'Testgemeente' } });
    return code;
  };

  const rows: Row[] = [
    {
      method: 'GET',
      path: '/v1/openapi.json',
      prepare: async () => ({ url: '/v1/openapi.json' }),
      expect: { none: 200, officerOwn: 200, officerOther: 200, analyst: 200, admin: 200, revoked: 200, malformed: 200 },
    },
    {
      method: 'GET',
      path: '/v1/municipalities',
      prepare: async () => ({ url: '/v1/municipalities' }),
      expect: { officerOwn: 200, officerOther: 200, analyst: 200, admin: 200 },
    },
    {
      method: 'GET',
      path: '/v1/municipalities/{code}',
      prepare: async () => ({ url: '/v1/municipalities/GM0363' }),
      expect: { officerOwn: 200, officerOther: 200, analyst: 200, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/municipalities',
      prepare: async () => ({ url: '/v1/municipalities', payload: { code: newCode(), name: 'Testgemeente' } }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 201 },
    },
    {
      method: 'PUT',
      path: '/v1/municipalities/{code}',
      prepare: async () => ({
        url: `/v1/municipalities/${await freshMunicipality()}`,
        headers: { 'if-match': '"1"' },
        payload: { name: 'Testgemeente', lastYear: 2021 },
      }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    {
      method: 'PATCH',
      path: '/v1/municipalities/{code}',
      prepare: async () => ({
        url: `/v1/municipalities/${await freshMunicipality()}`,
        headers: { 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
        payload: { lastYear: 2021 },
      }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    {
      method: 'GET',
      path: '/v1/establishments',
      prepare: async () => ({ url: '/v1/establishments' }),
      expect: { officerOwn: 200, officerOther: 200, analyst: 403, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/establishments',
      prepare: async () => ({ url: '/v1/establishments', payload: sample.establishment('GM0363') }),
      // Rotterdam's officer may not register in Amsterdam: the body names a municipality that is not theirs.
      expect: { officerOwn: 201, officerOther: 403, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/establishments/{id}',
      prepare: async () => ({ url: `/v1/establishments/${est.id}` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'PUT',
      path: '/v1/establishments/{id}',
      prepare: async () => {
        const e = await freshEstablishment();
        return {
          url: `/v1/establishments/${e.id}`,
          headers: { 'if-match': '"1"' },
          payload: sample.establishment('GM0363', { name: 'Renamed' }),
        };
      },
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'PATCH',
      path: '/v1/establishments/{id}',
      prepare: async () => {
        const e = await freshEstablishment();
        return {
          url: `/v1/establishments/${e.id}`,
          headers: { 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
          payload: { name: 'Renamed' },
        };
      },
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'DELETE',
      path: '/v1/establishments/{id}',
      prepare: async () => {
        const e = await freshEstablishment();
        return { url: `/v1/establishments/${e.id}`, headers: { 'if-match': '"1"', 'x-audit-reason': 'registered in error' } };
      },
      expect: { officerOwn: 204, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/establishments/{id}/licences',
      prepare: async () => ({ url: `/v1/establishments/${est.id}/licences` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/establishments/{id}/licences',
      prepare: async () => {
        const e = await freshEstablishment();
        return { url: `/v1/establishments/${e.id}/licences`, payload: sample.licence() };
      },
      expect: { officerOwn: 201, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/establishments/{id}/licences/{licenceId}',
      prepare: async () => ({ url: `/v1/establishments/${est.id}/licences/${lic.id}` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'PUT',
      path: '/v1/establishments/{id}/licences/{licenceId}',
      prepare: async () => {
        const { e, l } = await freshLicence();
        return {
          url: `/v1/establishments/${e.id}/licences/${l.id}`,
          headers: { 'if-match': '"1"' },
          payload: sample.licence({ validUntil: '2021-12-31' }),
        };
      },
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'PATCH',
      path: '/v1/establishments/{id}/licences/{licenceId}',
      prepare: async () => {
        const { e, l } = await freshLicence();
        return {
          url: `/v1/establishments/${e.id}/licences/${l.id}`,
          headers: { 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
          payload: { validUntil: '2021-12-31' },
        };
      },
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'DELETE',
      path: '/v1/establishments/{id}/licences/{licenceId}',
      prepare: async () => {
        const { e, l } = await freshLicence();
        return {
          url: `/v1/establishments/${e.id}/licences/${l.id}`,
          headers: { 'if-match': '"1"', 'x-audit-reason': 'recorded in error' },
        };
      },
      expect: { officerOwn: 204, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/enforcement-actions',
      prepare: async () => ({ url: '/v1/enforcement-actions' }),
      expect: { officerOwn: 200, officerOther: 200, analyst: 403, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/enforcement-actions',
      prepare: async () => {
        const e = await freshEstablishment();
        return { url: '/v1/enforcement-actions', payload: sample.action(e.id) };
      },
      // The establishment is a body field: another municipality's is an invalid parameter (unknown_establishment).
      expect: { officerOwn: 201, officerOther: 400, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/enforcement-actions/{id}',
      prepare: async () => ({ url: `/v1/enforcement-actions/${act.id}` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'PUT',
      path: '/v1/enforcement-actions/{id}',
      prepare: async () => {
        const a = await freshAction();
        return {
          url: `/v1/enforcement-actions/${a.id}`,
          headers: { 'if-match': '"1"' },
          payload: sample.action(a.establishmentId as string, { stage: 'objection' }),
        };
      },
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'PATCH',
      path: '/v1/enforcement-actions/{id}',
      prepare: async () => {
        const a = await freshAction();
        return {
          url: `/v1/enforcement-actions/${a.id}`,
          headers: { 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
          payload: { stage: 'objection' },
        };
      },
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'DELETE',
      path: '/v1/enforcement-actions/{id}',
      prepare: async () => {
        const a = await freshAction();
        return { url: `/v1/enforcement-actions/${a.id}`, headers: { 'if-match': '"1"', 'x-audit-reason': 'recorded twice' } };
      },
      expect: { officerOwn: 204, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/establishments/{id}/audit-trail',
      prepare: async () => ({ url: `/v1/establishments/${est.id}/audit-trail` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'GET',
      path: '/v1/enforcement-actions/{id}/audit-trail',
      prepare: async () => ({ url: `/v1/enforcement-actions/${act.id}/audit-trail` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'GET',
      path: '/v1/audit-trail',
      prepare: async () => ({ url: '/v1/audit-trail' }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    {
      method: 'GET',
      path: '/v1/audit-trail/verification',
      prepare: async () => ({ url: '/v1/audit-trail/verification' }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/audit-trail/checkpoints',
      prepare: async () => ({ url: '/v1/audit-trail/checkpoints' }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 201 },
    },
    // The checkpoints and their key are public: their worth is in being kept by others.
    ...(['/v1/audit-trail/checkpoints', '/v1/audit-trail/public-key'] as const).map(
      (path): Row => ({
        method: 'GET',
        path,
        prepare: async () => ({ url: path }),
        expect: { none: 200, officerOwn: 200, officerOther: 200, analyst: 200, admin: 200, revoked: 200, malformed: 200 },
      }),
    ),
    // Statistics for Amsterdam: its own officers, analysts and admins; another municipality's officer is refused.
    ...(
      [
        '/v1/statistics/enforcement-actions',
        '/v1/statistics/enforcement-actions/summary',
        '/v1/statistics/enforcement-actions/observations',
        '/v1/statistics/enforcement-actions/csv',
        '/v1/statistics/enforcement-actions/observations/csv',
      ] as const
    ).map(
      (path): Row => ({
        method: 'GET',
        path,
        prepare: async () => ({ url: `${path}?municipalityCode=GM0363` }),
        expect: { officerOwn: 200, officerOther: 403, analyst: 200, admin: 200 },
      }),
    ),
    // Statistics releases: admins publish; analysts and admins read.
    {
      method: 'GET',
      path: '/v1/statistics/releases',
      prepare: async () => ({ url: '/v1/statistics/releases' }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 200, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/statistics/releases',
      prepare: async () => ({ url: '/v1/statistics/releases', payload: { title: 'matrix', groupBy: ['year'] } }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 201 },
    },
    {
      method: 'GET',
      path: '/v1/statistics/releases/{number}',
      prepare: async () => ({ url: `/v1/statistics/releases/${sharedRelease}` }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 200, admin: 200 },
    },
    // Reporting attestations: officers for their own municipality, admins for any; analysts read.
    {
      method: 'GET',
      path: '/v1/reporting-attestations',
      prepare: async () => ({ url: '/v1/reporting-attestations' }),
      expect: { officerOwn: 200, officerOther: 200, analyst: 200, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/reporting-attestations',
      prepare: async () => ({ url: '/v1/reporting-attestations', payload: attestation() }),
      expect: { officerOwn: 201, officerOther: 403, analyst: 403, admin: 201 },
    },
    {
      method: 'GET',
      path: '/v1/reporting-attestations/{id}',
      prepare: async () => ({ url: `/v1/reporting-attestations/${sharedAttestation}` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 200, admin: 200 },
    },
    {
      method: 'DELETE',
      path: '/v1/reporting-attestations/{id}',
      prepare: async () => ({
        url: `/v1/reporting-attestations/${await freshAttestation()}`,
        headers: { 'if-match': '"1"', 'x-audit-reason': 'attested in error' },
      }),
      expect: { officerOwn: 204, officerOther: 404, analyst: 403, admin: 204 },
    },
    {
      method: 'GET',
      path: '/v1/open-data/enforcement-actions',
      prepare: async () => ({ url: '/v1/open-data/enforcement-actions' }),
      expect: { none: 200, officerOwn: 200, officerOther: 200, analyst: 200, admin: 200, revoked: 200, malformed: 200 },
    },
    ...(
      [
        '/v1/open-data/enforcement-actions/observations',
        '/v1/open-data/enforcement-actions/observations/csv',
        '/v1/statistics/metadata',
      ] as const
    ).map(
      (path): Row => ({
        method: 'GET',
        path,
        prepare: async () => ({ url: path }),
        expect: { none: 200, officerOwn: 200, officerOther: 200, analyst: 200, admin: 200, revoked: 200, malformed: 200 },
      }),
    ),
    {
      method: 'GET',
      path: '/v1/open-data/enforcement-actions/csv',
      prepare: async () => ({ url: '/v1/open-data/enforcement-actions/csv' }),
      expect: { none: 200, officerOwn: 200, officerOther: 200, analyst: 200, admin: 200, revoked: 200, malformed: 200 },
    },
    {
      method: 'GET',
      path: '/v1/api-clients',
      prepare: async () => ({ url: '/v1/api-clients' }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/api-clients',
      prepare: async () => ({ url: '/v1/api-clients', payload: { name: 'case system', role: 'analyst' } }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 201 },
    },
    {
      method: 'GET',
      path: '/v1/api-clients/{id}',
      prepare: async () => ({ url: `/v1/api-clients/${analyst.id}` }),
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    {
      method: 'DELETE',
      path: '/v1/api-clients/{id}',
      prepare: async () => {
        const c = await client('analyst');
        return { url: `/v1/api-clients/${c.id}`, headers: { 'if-match': '"1"' } };
      },
      expect: { officerOwn: 403, officerOther: 403, analyst: 403, admin: 200 },
    },
    // Subscriptions: anyone may subscribe; an officer's is seen by their municipality and admins.
    {
      method: 'GET',
      path: '/v1/subscriptions',
      prepare: async () => ({ url: '/v1/subscriptions' }),
      expect: { officerOwn: 200, officerOther: 200, analyst: 200, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/subscriptions',
      prepare: async () => ({ url: '/v1/subscriptions', payload: subscription }),
      expect: { officerOwn: 201, officerOther: 201, analyst: 201, admin: 201 },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{id}',
      prepare: async () => ({ url: `/v1/subscriptions/${await freshSubscription()}` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 404, admin: 200 },
    },
    {
      method: 'PUT',
      path: '/v1/subscriptions/{id}',
      prepare: async () => ({
        url: `/v1/subscriptions/${await freshSubscription()}`,
        headers: { 'if-match': '"1"' },
        payload: subscription,
      }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 404, admin: 200 },
    },
    {
      method: 'DELETE',
      path: '/v1/subscriptions/{id}',
      prepare: async () => ({
        url: `/v1/subscriptions/${await freshSubscription()}`,
        headers: { 'if-match': '"1"', 'x-audit-reason': 'no longer needed' },
      }),
      expect: { officerOwn: 204, officerOther: 404, analyst: 404, admin: 204 },
    },
    {
      method: 'POST',
      path: '/v1/subscriptions/{id}/secrets',
      prepare: async () => ({ url: `/v1/subscriptions/${await freshSubscription()}/secrets`, headers: { 'if-match': '"1"' }, payload: {} }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 404, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/subscriptions/{id}/redeliveries',
      prepare: async () => ({ url: `/v1/subscriptions/${await freshSubscription()}/redeliveries`, payload: {} }),
      expect: { officerOwn: 202, officerOther: 404, analyst: 404, admin: 202 },
    },
    {
      method: 'GET',
      path: '/v1/subscriptions/{id}/deliveries',
      prepare: async () => ({ url: `/v1/subscriptions/${await freshSubscription()}/deliveries` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 404, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/imports',
      prepare: async () => ({ url: '/v1/imports?recordType=establishments', headers: csvUpload, payload: importFile }),
      // Each officer imports into their own municipality (the file names none).
      expect: { officerOwn: 202, officerOther: 202, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/imports/{id}',
      prepare: async () => ({ url: `/v1/imports/${await freshImport()}` }),
      expect: { officerOwn: 200, officerOther: 404, analyst: 403, admin: 200 },
    },
    {
      method: 'POST',
      path: '/v1/imports/{id}/cancel',
      prepare: async () => ({ url: `/v1/imports/${await freshImport()}/cancel` }),
      expect: { officerOwn: 202, officerOther: 404, analyst: 403, admin: 403 },
    },
    {
      method: 'GET',
      path: '/v1/imports/templates/{template}',
      prepare: async () => ({ url: '/v1/imports/templates/licences.csv' }),
      expect: { none: 200, officerOwn: 200, officerOther: 200, analyst: 200, admin: 200, revoked: 200, malformed: 200 },
    },
    {
      method: 'GET',
      path: '/v1/exports/{recordType}',
      prepare: async () => ({ url: '/v1/exports/establishments?municipality=GM0363' }),
      expect: { officerOwn: 200, officerOther: 403, analyst: 403, admin: 200 },
    },
  ];

  // Every route the app has under /v1 is in the table (HEAD is GET's twin).
  const documented = Object.entries(json<{ paths: Record<string, Record<string, unknown>> }>(await app.inject('/v1/openapi.json')).paths)
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} /v1${p}`))
    .sort();
  t.same(rows.map((r) => `${r.method} ${r.path}`).sort(), documented, 'the matrix covers every operation');

  for (const row of rows) {
    for (const caller of CALLERS) {
      const expected = row.expect[caller] ?? 401;
      const req = await row.prepare();
      const res = await app.inject({
        method: row.method,
        url: req.url,
        headers: { ...auth[caller], ...req.headers },
        ...(req.payload ? { payload: req.payload } : {}),
      });
      t.equal(res.statusCode, expected, `${row.method} ${row.path} as ${caller}: ${res.body.slice(0, 200)}`);
      if (expected >= 400) {
        t.match(res.headers['content-type'], /^application\/problem\+json/, `${row.method} ${row.path} as ${caller} is a problem`);
      }
      if (expected === 401) t.match(res.headers['www-authenticate'], /^Bearer/);
    }
  }
  void database;
});

t.test('an officer of Amsterdam cannot see or change a Rotterdam record', async (t) => {
  const { app, client } = await build(t);
  const amsterdam = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const make = records(app);
  const est = await make.establishment(rotterdam.auth, 'GM0599');
  const lic = await make.licence(rotterdam.auth, est.id);
  const act = await make.action(rotterdam.auth, est.id);
  const as = (o: { method?: 'GET' | 'PUT' | 'DELETE' | 'POST'; url: string; headers?: Record<string, string>; payload?: object }) =>
    app.inject({
      method: o.method ?? 'GET',
      url: o.url,
      headers: { ...amsterdam.auth, ...o.headers },
      ...(o.payload ? { payload: o.payload as Record<string, unknown> } : {}),
    });
  const ifMatch = { 'if-match': '"1"', 'x-audit-reason': 'trying' };

  for (const url of [
    '/v1/establishments',
    '/v1/establishments?municipalityCode=GM0599',
    '/v1/enforcement-actions',
    '/v1/enforcement-actions?municipalityCode=GM0599',
    `/v1/enforcement-actions?establishmentId=${est.id}`,
  ]) {
    const res = await as({ url });
    t.equal(res.statusCode, 200, url);
    const page = json<{ totalItems: number; items: unknown[] }>(res);
    t.equal(page.totalItems, 0, `${url} counts nothing of Rotterdam`);
    t.same(page.items, [], `${url} shows nothing of Rotterdam`);
  }
  const notFound: [string, Parameters<typeof as>[0]][] = [
    ['get establishment', { url: `/v1/establishments/${est.id}` }],
    [
      'put establishment',
      { method: 'PUT', url: `/v1/establishments/${est.id}`, headers: ifMatch, payload: sample.establishment('GM0599') },
    ],
    [
      'put establishment into Amsterdam',
      { method: 'PUT', url: `/v1/establishments/${est.id}`, headers: ifMatch, payload: sample.establishment('GM0363') },
    ],
    ['delete establishment', { method: 'DELETE', url: `/v1/establishments/${est.id}`, headers: ifMatch }],
    ['list licences', { url: `/v1/establishments/${est.id}/licences` }],
    ['get licence', { url: `/v1/establishments/${est.id}/licences/${lic.id}` }],
    ['add licence', { method: 'POST', url: `/v1/establishments/${est.id}/licences`, payload: sample.licence({ licenceNumber: 'X-2' }) }],
    ['put licence', { method: 'PUT', url: `/v1/establishments/${est.id}/licences/${lic.id}`, headers: ifMatch, payload: sample.licence() }],
    ['delete licence', { method: 'DELETE', url: `/v1/establishments/${est.id}/licences/${lic.id}`, headers: ifMatch }],
    ['get action', { url: `/v1/enforcement-actions/${act.id}` }],
    ['put action', { method: 'PUT', url: `/v1/enforcement-actions/${act.id}`, headers: ifMatch, payload: sample.action(est.id) }],
    ['delete action', { method: 'DELETE', url: `/v1/enforcement-actions/${act.id}`, headers: ifMatch }],
  ];
  for (const [what, req] of notFound) {
    const res = await as(req);
    t.equal(res.statusCode, 404, `${what}: ${res.body.slice(0, 200)}`);
    t.notMatch(res.body, /Rotterdam|GM0599/, `${what} reveals nothing of the record`);
  }
  const newAction = await as({ method: 'POST', url: '/v1/enforcement-actions', payload: sample.action(est.id) });
  t.equal(newAction.statusCode, 400);
  t.match(json(newAction), { invalidParams: [{ name: 'establishmentId', code: 'unknown_establishment' }] });

  // Rotterdam's records are untouched.
  const r = (url: string) => app.inject({ url, headers: rotterdam.auth });
  t.match(json(await r(`/v1/establishments/${est.id}`)), { version: 1, name: 'Club Rood' });
  t.match(json(await r(`/v1/establishments/${est.id}/licences/${lic.id}`)), { version: 1 });
  t.match(json(await r(`/v1/enforcement-actions/${act.id}`)), { version: 1, stage: 'decided' });
  t.match(json(await r('/v1/enforcement-actions')), { totalItems: 1 });
});
