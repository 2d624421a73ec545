import { sql } from 'drizzle-orm';
import t from 'tap';
import { todayInNetherlands } from '../../src/lib/dates.js';
import { build, json, sample } from '../support/helper.js';
import { records } from '../support/records.js';

type Problem = { invalidParams: { name: string; code: string }[] };
const codes = (res: { body: string }) =>
  json<Problem>(res)
    .invalidParams.map((p) => `${p.name}:${p.code}`)
    .sort();

const tomorrow = () => {
  const d = new Date(`${todayInNetherlands()}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
};

t.test('enforcement actions: each domain rule has its own code, and nothing is stored after a rejection', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = await records(app).establishment(officer.auth);
  const post = (over: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(est.id, over) });
  const penalty = { amountCents: 50_000, unit: 'per_day', maximumCents: 500_000, complianceDeadline: '2019-06-01' };

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['decision date in the future', { decisionDate: tomorrow() }, ['decisionDate:in_future']],
    ['a ground listed twice', { grounds: ['hygiene', 'other', 'hygiene'] }, ['grounds.2:duplicate']],
    ['no grounds', { grounds: [] }, ['grounds:too_small']],
    ['fine missing for a fine', { fine: undefined }, ['fine:required_for_measure']],
    ['penalty on a fine', { penalty }, ['penalty:not_allowed_for_measure']],
    ['closure missing for a closure', { measure: 'closure', fine: undefined }, ['closure:required_for_measure']],
    ['penalty missing for a penalty order', { measure: 'penalty_order', fine: undefined }, ['penalty:required_for_measure']],
    [
      'maximum below the amount',
      { measure: 'penalty_order', fine: undefined, penalty: { ...penalty, maximumCents: 10_000 } },
      ['penalty.maximumCents:below_amount'],
    ],
    [
      'forfeited above the maximum',
      { measure: 'penalty_order', fine: undefined, penalty: { ...penalty, forfeitedCents: 600_000 } },
      ['penalty.forfeitedCents:above_maximum'],
    ],
    [
      'compliance deadline before the decision date',
      { measure: 'penalty_order', fine: undefined, penalty: { ...penalty, complianceDeadline: '2019-04-30' } },
      ['penalty.complianceDeadline:before_decision_date'],
    ],
    [
      'closure ending before it starts',
      { measure: 'closure', fine: undefined, closure: { startDate: '2019-05-10', endDate: '2019-05-09' } },
      ['closure.endDate:before_start_date'],
    ],
    ['a warning in objection', { measure: 'warning', fine: undefined, stage: 'objection' }, ['stage:not_appealable']],
    ['a warning in appeal', { measure: 'warning', fine: undefined, stage: 'appeal' }, ['stage:not_appealable']],
    ['unknown establishment', { establishmentId: '00000000-0000-4000-8000-000000000000' }, ['establishmentId:unknown_establishment']],
    ['zero cents', { fine: { amountCents: 0 } }, ['fine.amountCents:too_small']],
    ['negative cents', { fine: { amountCents: -100 } }, ['fine.amountCents:too_small']],
    ['fractional cents', { fine: { amountCents: 12.5 } }, ['fine.amountCents:invalid_type']],
    ['cents as a string', { fine: { amountCents: '100' } }, ['fine.amountCents:invalid_type']],
    [
      'several rules broken at once',
      {
        measure: 'penalty_order',
        decisionDate: tomorrow(),
        grounds: ['hygiene', 'hygiene'],
        penalty: { ...penalty, maximumCents: 1, complianceDeadline: '2019-01-01' },
        closure: { startDate: '2019-05-10' },
      },
      [
        'closure:not_allowed_for_measure',
        'decisionDate:in_future',
        'fine:not_allowed_for_measure',
        'grounds.1:duplicate',
        'penalty.complianceDeadline:before_decision_date',
        'penalty.maximumCents:below_amount',
      ],
    ],
  ];
  for (const [what, over, expected] of cases) {
    const res = await post(over);
    t.equal(res.statusCode, 400, `${what}: ${res.body.slice(0, 300)}`);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.same(codes(res), expected, what);
  }
  // Schema issues and rule issues of one body are listed together.
  const together = await post({
    grounds: ['hygiene', 'hygiene', 'nonsense'],
    decisionDate: tomorrow(),
    fine: { amountCents: 0 },
    closure: { startDate: 'soon' },
  });
  t.equal(together.statusCode, 400);
  t.same(codes(together), [
    'closure.startDate:invalid_format',
    'closure:not_allowed_for_measure',
    'decisionDate:in_future',
    'fine.amountCents:too_small',
    'grounds.1:duplicate',
    'grounds.2:invalid_value',
  ]);
  const penaltyMix = await post({ measure: 'penalty_order', fine: undefined, penalty: { ...penalty, maximumCents: 1, unit: 'hourly' } });
  t.same(codes(penaltyMix), ['penalty.maximumCents:below_amount', 'penalty.unit:invalid_value']);
  // An unknown establishment with other broken rules: the field rules come first, all listed.
  const mixed = await post({ establishmentId: '00000000-0000-4000-8000-000000000000', grounds: ['hygiene', 'hygiene'] });
  t.same(codes(mixed), ['grounds.1:duplicate']);

  const list = await app.inject({ url: '/v1/enforcement-actions', headers: officer.auth });
  t.match(json(list), { totalItems: 0 }, 'nothing was stored');

  // The valid variants of each measure are accepted.
  const ok: Record<string, unknown>[] = [
    {},
    { measure: 'penalty_order', fine: undefined, penalty },
    { measure: 'closure', fine: undefined, closure: { startDate: '2019-05-10', endDate: '2019-05-10' } },
    { measure: 'closure', fine: undefined, closure: { startDate: '2019-05-10' } },
    { measure: 'warning', fine: undefined, stage: 'final' },
    { measure: 'administrative_coercion', fine: undefined, decisionDate: todayInNetherlands() },
  ];
  for (const over of ok) {
    const res = await post(over);
    t.equal(res.statusCode, 201, `${JSON.stringify(over)}: ${res.body.slice(0, 300)}`);
    t.equal(res.headers.location, `/v1/enforcement-actions/${json<{ id: string }>(res).id}`, 'Location names the new action');
  }
  const penaltyAction = json<{ penalty: { forfeitedCents: number } }>(await post({ measure: 'penalty_order', fine: undefined, penalty }));
  t.equal(penaltyAction.penalty.forfeitedCents, 0, 'forfeited defaults to 0');
});

t.test('enforcement actions: replace checks the rules, the establishment and the lifecycle', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const other = await make.establishment(officer.auth, 'GM0363', { name: 'Other' });

  const put = (id: string, version: number, body: Record<string, unknown>) =>
    app.inject({
      method: 'PUT',
      url: `/v1/enforcement-actions/${id}`,
      headers: { ...officer.auth, 'if-match': `"${version}"` },
      payload: body,
    });

  const a = await make.action(officer.auth, est.id);
  const moved = await put(a.id, 1, sample.action(other.id));
  t.equal(moved.statusCode, 400);
  t.same(codes(moved), ['establishmentId:immutable']);
  const both = await put(a.id, 1, sample.action(other.id, { stage: 'intended', grounds: ['other', 'other'] }));
  t.same(codes(both), ['establishmentId:immutable', 'grounds.1:duplicate', 'stage:transition_not_allowed']);
  const read = json(await app.inject({ url: `/v1/enforcement-actions/${a.id}`, headers: officer.auth }));
  t.match(read, { version: 1, establishmentId: est.id, stage: 'decided' }, 'rejected replacements change nothing');

  // The lifecycle (fase), written out from the rules: forward along voornemen → besluit → bezwaar →
  // beroep → onherroepelijk; bezwaar may return to besluit (after heroverweging); any open stage may be
  // withdrawn or annulled; final only annulled; nothing leaves withdrawn or annulled.
  const STAGES = ['intended', 'decided', 'objection', 'appeal', 'final', 'withdrawn', 'annulled'];
  const allowed = new Set([
    'intended>decided',
    'intended>withdrawn',
    'decided>objection',
    'decided>appeal',
    'decided>final',
    'decided>withdrawn',
    'decided>annulled',
    'objection>decided',
    'objection>appeal',
    'objection>final',
    'objection>withdrawn',
    'objection>annulled',
    'appeal>final',
    'appeal>withdrawn',
    'appeal>annulled',
    'final>annulled',
  ]);
  for (const from of STAGES) {
    const action = await make.action(officer.auth, est.id, { stage: from });
    for (const to of STAGES) {
      if (to === from) continue;
      const res = await put(action.id, 1, sample.action(est.id, { stage: to }));
      const key = `${from}>${to}`;
      if (allowed.has(key)) {
        t.equal(res.statusCode, 200, `${key} is allowed: ${res.body.slice(0, 200)}`);
        // Put it back by deleting and recreating would change ids; instead start from a fresh action.
        const again = await make.action(officer.auth, est.id, { stage: from });
        action.id = again.id;
      } else {
        t.equal(res.statusCode, 400, `${key} is not allowed`);
        t.same(codes(res), ['stage:transition_not_allowed'], key);
      }
    }
  }
  // Staying in the same stage is always fine (a correction of another field).
  const w = await make.action(officer.auth, est.id, { stage: 'withdrawn' });
  t.equal((await put(w.id, 1, sample.action(est.id, { stage: 'withdrawn', legalBasis: 'APV art. 3:4' }))).statusCode, 200);
});

t.test('enforcement actions: list filters, bounds, Link header and order', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const rotterdam = await client('officer', 'GM0599');
  const make = records(app);
  const licensed = await make.establishment(officer.auth, 'GM0363', { name: 'Licensed' });
  await make.licence(officer.auth, licensed.id);
  const unlicensed = await make.establishment(officer.auth, 'GM0363', { name: 'Unlicensed' });
  const rotterdamEst = await make.establishment(rotterdam.auth, 'GM0599');

  const specs: { est: string; auth: typeof officer.auth; over: Record<string, unknown> }[] = [
    { est: licensed.id, auth: officer.auth, over: { decisionDate: '2018-03-01' } },
    {
      est: licensed.id,
      auth: officer.auth,
      over: { decisionDate: '2019-05-01', grounds: ['no_manager_present', 'hygiene'], stage: 'objection' },
    },
    {
      est: unlicensed.id,
      auth: officer.auth,
      over: { decisionDate: '2019-05-01', measure: 'warning', fine: undefined, grounds: ['unlicensed_operation'] },
    },
    {
      est: unlicensed.id,
      auth: officer.auth,
      over: { decisionDate: '2021-07-15', measure: 'closure', fine: undefined, closure: { startDate: '2021-08-01' } },
    },
    { est: unlicensed.id, auth: officer.auth, over: { decisionDate: '2019-05-01', stage: 'intended' } },
    { est: rotterdamEst.id, auth: rotterdam.auth, over: { decisionDate: '2019-05-01' } },
  ];
  const created: Record<string, unknown>[] = [];
  for (const s of specs) created.push(await make.action(s.auth, s.est, s.over));
  const all = created as {
    id: string;
    decisionDate: string;
    municipalityCode: string;
    establishmentId: string;
    measure: string;
    grounds: string[];
    licenceStatus: string;
    stage: string;
  }[];
  t.same(
    all.map((a) => a.licenceStatus),
    ['licensed', 'licensed', 'unlicensed', 'unlicensed', 'unlicensed', 'unlicensed'],
  );

  // The order the contract promises: newest decision first, then by id.
  const order = (xs: typeof all) =>
    [...xs]
      .sort((a, b) => (a.decisionDate === b.decisionDate ? (a.id < b.id ? -1 : 1) : a.decisionDate < b.decisionDate ? 1 : -1))
      .map((a) => a.id);
  const ids = async (query: string, auth = admin.auth) => {
    const res = await app.inject({ url: `/v1/enforcement-actions${query}`, headers: auth });
    t.equal(res.statusCode, 200, `${query}: ${res.body.slice(0, 200)}`);
    return json<{ items: { id: string }[] }>(res).items.map((i) => i.id);
  };
  const filters: [string, (a: (typeof all)[number]) => boolean][] = [
    ['', () => true],
    ['?municipalityCode=GM0599', (a) => a.municipalityCode === 'GM0599'],
    [`?establishmentId=${unlicensed.id}`, (a) => a.establishmentId === unlicensed.id],
    ['?measure=warning', (a) => a.measure === 'warning'],
    ['?ground=hygiene', (a) => a.grounds.includes('hygiene')],
    ['?licenceStatus=licensed', (a) => a.licenceStatus === 'licensed'],
    ['?licenceStatus=unlicensed', (a) => a.licenceStatus === 'unlicensed'],
    ['?stage=intended', (a) => a.stage === 'intended'],
    ['?decisionDateFrom=2019-05-01', (a) => a.decisionDate >= '2019-05-01'],
    ['?decisionDateTo=2019-05-01', (a) => a.decisionDate <= '2019-05-01'],
    [
      '?decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31&municipalityCode=GM0363',
      (a) => a.decisionDate.startsWith('2019') && a.municipalityCode === 'GM0363',
    ],
  ];
  for (const [q, keep] of filters) {
    const expected = order(all.filter(keep));
    t.ok(expected.length > 0 || q === '', `${q} selects something`);
    t.same(await ids(q), expected, `filter ${q || '(none)'}`);
  }
  t.same(await ids('', officer.auth), order(all.filter((a) => a.municipalityCode === 'GM0363')), 'an officer sees only their own');

  for (const bad of [
    'pageSize=0',
    'pageSize=101',
    'page=0',
    'page=abc',
    'decisionDateFrom=2019-02-30',
    'stage=done',
    'licenceStatus=maybe',
  ]) {
    const res = await app.inject({ url: `/v1/enforcement-actions?${bad}`, headers: admin.auth });
    t.equal(res.statusCode, 400, bad);
    t.equal(json<Problem>(res).invalidParams[0]?.name, bad.split('=')[0]);
  }

  // Pages of 2 over 6 actions: 3 pages whose concatenation is the full, ordered list.
  const pages: string[][] = [];
  for (let p = 1; p <= 3; p++) {
    const res = await app.inject({ url: `/v1/enforcement-actions?pageSize=2&page=${p}&stage=decided`, headers: admin.auth });
    const body = json<{ items: { id: string }[]; totalItems: number; totalPages: number; page: number }>(res);
    pages.push(body.items.map((i) => i.id));
    const link = res.headers.link as string;
    const rel = (r: string) => new RegExp(`<([^>]+)>; rel="${r}"`).exec(link)?.[1];
    const expectedTotal = all.filter((a) => a.stage === 'decided').length;
    t.equal(body.totalItems, expectedTotal);
    const last = Math.ceil(expectedTotal / 2);
    t.equal(body.totalPages, last);
    t.equal(rel('first'), '/v1/enforcement-actions?pageSize=2&page=1&stage=decided');
    t.match(rel('first'), /page=1(&|$)/);
    t.match(rel('last'), new RegExp(`page=${last}(&|$)`));
    t.match(rel('first'), /stage=decided/, 'links keep the filters');
    if (p > 1) t.match(rel('prev'), new RegExp(`[?&]page=${p - 1}(&|$)`));
    else t.notOk(rel('prev'), 'no prev on the first page');
    if (p < last) t.match(rel('next'), new RegExp(`[?&]page=${p + 1}(&|$)`));
    else t.notOk(rel('next'), 'no next on the last page');
    if (rel('next')) {
      const followed = await app.inject({ url: rel('next') as string, headers: admin.auth });
      t.equal(json<{ page: number }>(followed).page, p + 1, 'the next link works');
    }
  }
  t.same(pages.flat(), order(all.filter((a) => a.stage === 'decided')), 'pages concatenate to the ordered list');
  t.same(await ids('?stage=decided'), await ids('?stage=decided'), 'the order is the same every time');
  const beyond = json<{ items: unknown[] }>(await app.inject({ url: '/v1/enforcement-actions?page=99', headers: admin.auth }));
  t.same(beyond.items, [], 'a page past the end is empty');
});

t.test('enforcement actions: delete needs a reason, then the action leaves lists and GET', async (t) => {
  const { app, client, database } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const a = await make.action(officer.auth, est.id);
  const del = (headers: Record<string, string>) =>
    app.inject({ method: 'DELETE', url: `/v1/enforcement-actions/${a.id}`, headers: { ...officer.auth, ...headers } });

  const noReason = await del({ 'if-match': '"1"' });
  t.equal(noReason.statusCode, 400);
  t.same(codes(noReason), ['x-audit-reason:required'], 'a header left out is required, not "expected string, received undefined"');
  const blank = await del({ 'if-match': '"1"', 'x-audit-reason': '   ' });
  t.equal(blank.statusCode, 400, 'a blank reason is no reason');
  const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1'); // header bytes as the socket hands them over
  for (const invisible of ['\u200b', ' \u00ad\u2060 ']) {
    const res = await del({ 'if-match': '"1"', 'x-audit-reason': wire(invisible) });
    t.same([res.statusCode, codes(res)], [400, ['x-audit-reason:too_small']], `${JSON.stringify(invisible)} is no reason either`);
  }
  t.equal((await del({ 'x-audit-reason': 'recorded twice' })).statusCode, 428, 'If-Match is required');
  t.equal((await del({ 'if-match': '"2"', 'x-audit-reason': 'recorded twice' })).statusCode, 412, 'a stale If-Match is refused');
  t.equal((await app.inject({ url: `/v1/enforcement-actions/${a.id}`, headers: officer.auth })).statusCode, 200, 'still there');

  // Its length is that of what is stored: U+FB2C is three characters once composed (NFC), so 500 of them are 1,500.
  const long = await del({ 'if-match': '"1"', 'x-audit-reason': wire('\uFB2C'.repeat(500)) });
  t.same([long.statusCode, codes(long)], [400, ['x-audit-reason:too_big']], '500 sent, 1,500 to store');
  // Kept as other text is: trimmed, and composed (NFC), so that "é" typed either way is one reason.
  const ok = await del({ 'if-match': '"1"', 'x-audit-reason': wire(' recorded twice, cafe\u0301 ') });
  t.equal(ok.statusCode, 204);
  t.equal(ok.body, '');
  t.equal((await app.inject({ url: `/v1/enforcement-actions/${a.id}`, headers: officer.auth })).statusCode, 404);
  t.match(json(await app.inject({ url: '/v1/enforcement-actions', headers: officer.auth })), { totalItems: 0 });
  t.equal((await del({ 'if-match': '"2"', 'x-audit-reason': 'again' })).statusCode, 404, 'a deleted action cannot be deleted again');
  const rows = await database.owner.execute(sql`select delete_reason, deleted_by, deleted_at from enforcement_actions where id = ${a.id}`);
  const row = (rows as unknown as { rows: Record<string, unknown>[] }).rows[0];
  t.equal(row?.delete_reason, 'recorded twice, caf\u00e9', 'the tombstone keeps the reason, trimmed and composed');
  t.equal(row?.deleted_by, officer.id);
  t.ok(row?.deleted_at);
});
