import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import t from 'tap';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, type RequestContext } from '../../src/application/context.js';
import { protectOffThread } from '../../src/application/statistics/open-data.js';
import { ShuttingDown } from '../../src/domain/errors.js';
import { build, json, sample } from '../support/helper.js';
import { type PublishedCell, recoverableCells } from '../support/linear-audit.js';

/**
 * Open data on real rollups (PGlite, and PostgreSQL when DATABASE_URL is set): random data sets
 * loaded through the commands, then EVERY grouping the open-data endpoint publishes (all 16 subsets
 * of year, municipality, licenceStatus, measure, with their margins and totals) is read over HTTP
 * and handed to an attacker's exact linear algebra (test/support/linear-audit.ts): no withheld
 * value may be a linear combination of the published ones, and every published value must be the
 * true count computed here from the generated actions.
 */
const MUNICIPALITIES = ['GM0363', 'GM0599', 'GM0014', 'GM0344'];
const MEASURES = [
  'closure',
  'administrative_fine',
  'penalty_order',
  'administrative_coercion',
  'warning',
  'licence_suspension',
  'licence_revocation',
];
const DIMS = ['year', 'municipality', 'licenceStatus', 'measure'] as const;
const FIELD = { year: 'year', municipality: 'municipalityCode', licenceStatus: 'licenceStatus', measure: 'measure' } as const;

const actionArb = fc.record({
  municipality: fc.constantFrom(...MUNICIPALITIES.slice(0, 3)), // the fourth reports nothing
  licensed: fc.boolean(),
  // Skewed to few measures, so that there are small and large cells alike.
  measure: fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom('administrative_fine', 'warning') },
    { weight: 2, arbitrary: fc.constantFrom(...MEASURES) },
  ),
  year: fc.constantFrom(2018, 2019, 2020),
  counted: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
});
const datasetArb = fc.array(actionArb, { minLength: 10, maxLength: 45 });

function body(establishmentId: string, a: { measure: string; year: number; counted: boolean }) {
  const date = `${a.year}-06-15`;
  const parts: Record<string, unknown> = {};
  if (a.measure === 'administrative_fine') parts.fine = { amountCents: 50_000 };
  if (a.measure === 'penalty_order')
    parts.penalty = { amountCents: 10_000, unit: 'per_day', maximumCents: 100_000, complianceDeadline: date, forfeitedCents: 0 };
  if (a.measure === 'closure') parts.closure = { startDate: date, endDate: null };
  return {
    establishmentId,
    measure: a.measure,
    grounds: ['hygiene'],
    stage: a.counted ? 'decided' : 'intended',
    decisionDate: date,
    ...parts,
  };
}

type Published = { value: number | null; status: string } & Partial<Record<(typeof FIELD)[keyof typeof FIELD], string | number>>;

t.setTimeout(300_000);

t.test('no withheld cell of any published grouping can be recovered from all of them together', async (t) => {
  let now = new Date('2026-03-01T12:00:00Z');
  const { app, database, services, client } = await build(t, { clock: () => now, config: { RATE_LIMIT_PER_MINUTE: '0' } });
  const officers = new Map<string, RequestContext>();
  const establishments = new Map<string, { licensed: string; unlicensed: string }>();
  for (const m of MUNICIPALITIES.slice(0, 3)) {
    const officer = { clientId: (await client('officer', m)).id, name: 'officer', role: 'officer' as const, municipalityCode: m };
    const ctx = clientContext(officer, { requestId: null, reason: 'joint suppression test' });
    officers.set(m, ctx);
    const licensed = madeBy(await services.commands.establishments.create(ctx, sample.establishment(m) as never));
    await services.commands.licences.create(ctx, licensed.id, {
      ...sample.licence({ validFrom: '2010-01-01', validUntil: null, statusHistory: [{ status: 'granted', effectiveDate: '2010-01-01' }] }),
    } as never);
    const unlicensed = madeBy(await services.commands.establishments.create(ctx, sample.establishment(m, { name: 'Zonder' }) as never));
    establishments.set(m, { licensed: licensed.id, unlicensed: unlicensed.id });
  }
  let withheldSeen = 0;
  let publishedSeen = 0;
  const data = fc.sample(datasetArb, { seed: 15, numRuns: 4 });
  for (const [run, actions] of data.entries()) {
    await database.owner.execute(sql`delete from enforcement_actions`);
    for (const a of actions) {
      const est = establishments.get(a.municipality) as { licensed: string; unlicensed: string };
      await services.commands.enforcementActions.create(
        officers.get(a.municipality) as RequestContext,
        body(a.licensed ? est.licensed : est.unlicensed, a) as never,
      );
    }
    now = new Date(now.getTime() + 86_400_000); // the next daily release
    // Every grouping, as anyone can download it.
    const views: Published[][] = [];
    let base: Published[] = [];
    for (let mask = 0; mask < 16; mask++) {
      const groupBy = DIMS.filter((_, i) => (mask >> i) & 1);
      const res = await app.inject({ url: `/v1/open-data/enforcement-actions${groupBy.length ? `?groupBy=${groupBy.join(',')}` : ''}` });
      if (res.statusCode !== 200) t.fail(res.body);
      const table = json<{ cells: Published[]; margins: Published[]; total: Published; release: { moment: string } }>(res);
      t.equal(table.release.moment, new Date(Math.floor(now.getTime() / 86_400_000) * 86_400_000).toISOString());
      views.push([...table.cells, ...table.margins, table.total]);
      if (mask === 15) base = table.cells;
    }
    // The truth, from the generated actions.
    const truth = (c: Published) =>
      actions.filter(
        (a) =>
          a.counted &&
          (c.year === undefined || c.year === a.year) &&
          (c.municipalityCode === undefined || c.municipalityCode === a.municipality) &&
          (c.licenceStatus === undefined || c.licenceStatus === (a.licensed ? 'licensed' : 'unlicensed')) &&
          (c.measure === undefined || c.measure === a.measure),
      ).length;
    const membersOf = (c: Published) =>
      base
        .map((b, i) => ({ b, i }))
        .filter(({ b }) => DIMS.every((d) => c[FIELD[d]] === undefined || c[FIELD[d]] === b[FIELD[d]]))
        .map(({ i }) => i);
    const cells: PublishedCell[] = [];
    let wrong = 0;
    for (const c of views.flat()) {
      const v = truth(c);
      if (c.status !== 'suppressed' && c.status !== 'not_reported' && c.value !== v) wrong += 1;
      if (c.status === 'not_reported' && v !== 0) wrong += 1;
      if (v > 0 && v < 5 && c.status !== 'suppressed') wrong += 1;
      // A not_reported figure is withheld, but its status says it is 0: the attacker knows that.
      cells.push({ members: membersOf(c), value: c.status === 'suppressed' ? null : c.status === 'not_reported' ? 0 : c.value });
    }
    t.equal(wrong, 0, `run ${run}: every published value is the true count, every small count withheld`);
    const withheld = cells.filter((c) => c.value === null).length;
    withheldSeen += withheld;
    publishedSeen += cells.length - withheld;
    t.same(
      recoverableCells(base.length, cells),
      [],
      `run ${run}: ${withheld} withheld cells, none recoverable from ${cells.length - withheld} published`,
    );
  }
  t.ok(
    withheldSeen > 0 && publishedSeen > withheldSeen,
    `${withheldSeen} withheld, ${publishedSeen} published over ${data.length} data sets`,
  );
});

t.test('open data is a daily release: a new action changes nothing until the next release moment', async (t) => {
  let now = new Date('2026-05-10T08:00:00Z');
  const { app, client, database } = await build(t, { clock: () => now });
  const ams = await client('officer', 'GM0363');
  const post = async (url: string, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, headers: ams.auth, payload: payload as Record<string, unknown> });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return json<{ id: string }>(res);
  };
  const est = await post('/v1/establishments', sample.establishment('GM0363'));
  for (let i = 0; i < 6; i++) await post('/v1/enforcement-actions', sample.action(est.id));
  const get = () => app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=year,municipality' });
  const first = await get();
  t.equal(first.statusCode, 200);
  const before = json<{ total: Published; release: { moment: string; nextMoment: string } }>(first);
  t.same(before.total, { value: 6, status: 'reported' });
  t.same(before.release.moment, '2026-05-10T00:00:00.000Z');
  t.same(before.release.nextMoment, '2026-05-11T00:00:00.000Z');

  await post('/v1/enforcement-actions', sample.action(est.id)); // the 7th
  now = new Date('2026-05-10T23:59:59Z');
  const again = await get();
  t.equal(again.body, first.body, 'the same bytes until the next moment: polling cannot reveal the new action');

  now = new Date('2026-05-11T00:00:01Z');
  const next = json<{ total: Published; release: { moment: string } }>(await get());
  t.same(next.total, { value: 7, status: 'reported' }, 'the next release has it');
  t.equal(next.release.moment, '2026-05-11T00:00:00.000Z');

  // A release never changes, not even for the database owner's role through the service's grants.
  const count = (await database.owner.execute(sql`select count(*)::int as n from open_data_releases`)) as unknown as {
    rows: { n: number }[];
  };
  t.equal(count.rows[0]?.n, 2, 'one stored release per moment');
  const refused = await database.owner.execute(sql`update open_data_releases set computed_at = now()`).then(
    () => 'updated',
    (e: Error) => String((e as { cause?: Error }).cause?.message ?? e.message),
  );
  t.match(refused, /append-only/, 'an update of a release is refused');
  const trail = json<{ items: { objectType: string; objectId: string }[] }>(
    await app.inject({ url: '/v1/audit-trail?objectType=open_data_release', headers: (await client('admin')).auth }),
  );
  t.ok(
    trail.items.some((e) => e.objectId === '2026-05-11T00:00:00.000Z'),
    'each release is in the audit trail',
  );
});

t.test('a closing service ends the open-data computation in progress: its waiting request gets a 503, not a wait', async (t) => {
  const { app, services } = await build(t);
  // Closed once the request is inside the computation (not before it arrives, which the closing plugin answers).
  const openData = services.statistics.openData;
  const current = openData.current;
  let entered: () => void = () => {};
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  openData.current = () => {
    const computing = current();
    entered();
    return computing;
  };
  const asked = app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=year' });
  await inside;
  const closed = app.close();
  const res = await asked;
  await closed;
  t.equal(res.statusCode, 503, res.body);
  t.match(json(res), { code: 'shutting-down', detail: /open data/ }, 'answered by the computation it ended');
  t.equal(res.headers['retry-after'], '1');
});

t.test('protectOffThread: a stop ends the worker thread, which would otherwise finish', async (t) => {
  const table = { sizes: [1, 2, 2, 7], values: Array.from({ length: 28 }, (_, i) => i % 5) };
  const done = await protectOffThread(table, 5, () => false);
  t.ok(done.groupings.size > 0, 'run to its end, it answers');
  const stop = new AbortController();
  const running = protectOffThread(table, 5, () => false, [], stop.signal);
  stop.abort();
  const failure = async (p: Promise<unknown>) =>
    p.then(
      () => null,
      (err: unknown) => err,
    );
  t.ok((await failure(running)) instanceof ShuttingDown, 'stopped: the thread was terminated, not awaited');
  t.ok((await failure(protectOffThread(table, 5, () => false, [], stop.signal))) instanceof ShuttingDown, 'already stopped: none started');
});
