import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import t from 'tap';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, type RequestContext, systemContext } from '../../src/application/context.js';
import { STAGE_TRANSITIONS, type StageName } from '../../src/domain/enforcement-actions.js';
import { build, json, usingPostgres } from '../support/helper.js';
import { comparable, type Dim, expectedTable, type RawAction, STAGE_VALUES } from '../support/statistics.js';

/**
 * Random data sets — licence histories, stages, decision dates around year boundaries, corrections,
 * licence changes that re-derive licenceStatus, deletions — loaded through the repositories; then
 * every grouping the API answers (from the rollup for whole years, from the actions otherwise) must
 * equal a computation in this test over the raw rows, zero cells included.
 */
const MUNICIPALITIES = ['GM0363', 'GM0599', 'GM0014'];
const MEASURES = ['closure', 'administrative_fine', 'penalty_order', 'administrative_coercion', 'warning', 'licence_suspension'] as const;
const GROUNDS = ['no_manager_present', 'hygiene', 'worker_without_valid_id', 'unlicensed_operation', 'other'] as const;
const BASE = Date.UTC(2016, 0, 1);
const iso = (dayOffset: number) => new Date(BASE + dayOffset * 86_400_000).toISOString().slice(0, 10);

/** Decision dates 2016–2019, half of them within a few days of a new year. */
const decisionDay = fc.oneof(
  fc.integer({ min: 0, max: 1460 }),
  fc.tuple(fc.constantFrom(366, 731, 1096), fc.integer({ min: -4, max: 4 })).map(([b, d]) => b + d),
);

const licenceArb = fc.record({
  from: fc.integer({ min: -300, max: 1300 }),
  length: fc.option(fc.integer({ min: 30, max: 1200 }), { nil: null }),
  changes: fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 3 }),
  terminal: fc.constantFrom(null, 'revoked', 'expired'),
});
type LicenceSpec = typeof licenceArb extends fc.Arbitrary<infer T> ? T : never;

function licenceBody(l: LicenceSpec, n: number) {
  const history: { status: string; effectiveDate: string }[] = [{ status: 'granted', effectiveDate: iso(l.from) }];
  let day = l.from;
  l.changes.forEach((gap, i) => {
    day += gap;
    history.push({ status: i % 2 === 0 ? 'suspended' : 'granted', effectiveDate: iso(day) });
  });
  if (l.terminal) history.push({ status: l.terminal, effectiveDate: iso(day + 17) });
  return {
    licenceNumber: `EV-${n}`,
    validFrom: iso(l.from),
    validUntil: l.length === null ? null : iso(l.from + l.length),
    statusHistory: history,
  };
}

const actionArb = fc.record({
  establishment: fc.nat(),
  measure: fc.constantFrom(...MEASURES),
  grounds: fc.uniqueArray(fc.constantFrom(...GROUNDS), { minLength: 1, maxLength: 3 }),
  stage: fc.constantFrom(...(STAGE_VALUES as StageName[])),
  day: decisionDay,
  amount: fc.integer({ min: 1, max: 500 }),
  moves: fc.array(fc.nat(), { maxLength: 2 }),
  correction: fc.option(fc.record({ day: decisionDay, measure: fc.constantFrom(...MEASURES) }), { nil: null }),
  deleted: fc.boolean(),
});

const datasetArb = fc.record({
  establishments: fc.array(fc.record({ municipality: fc.constantFrom(...MUNICIPALITIES), licence: fc.option(licenceArb, { nil: null }) }), {
    minLength: 1,
    maxLength: 4,
  }),
  actions: fc.array(actionArb, { maxLength: 10 }),
  licenceChanges: fc.array(fc.record({ establishment: fc.nat(), change: fc.option(licenceArb, { nil: null }) }), { maxLength: 2 }),
});

function actionBody(establishmentId: string, measure: string, grounds: string[], stage: StageName, date: string, amount: number) {
  const parts: Record<string, unknown> = {};
  if (measure === 'administrative_fine') parts.fine = { amountCents: amount * 1000 };
  if (measure === 'penalty_order')
    parts.penalty = {
      amountCents: amount * 100,
      unit: 'per_day',
      maximumCents: amount * 1000,
      complianceDeadline: date,
      forfeitedCents: amount * 10,
    };
  if (measure === 'closure') parts.closure = { startDate: date, endDate: null };
  return { establishmentId, measure, grounds, stage, decisionDate: date, ...parts } as never;
}

const warningSafe = (measure: string, stage: string) => !(measure === 'warning' && (stage === 'objection' || stage === 'appeal'));

// Longer than .taprc's default: 12-15 random data sets × 56 statistics requests each, ~15 s when idle.
t.setTimeout(300_000);

const GROUPINGS: Dim[][] = [
  [],
  ['year'],
  ['municipality'],
  ['licenceStatus'],
  ['measure'],
  ['ground'],
  ['stage'],
  ['year', 'municipality'],
  ['year', 'licenceStatus'],
  ['municipality', 'licenceStatus'],
  ['measure', 'ground'],
  ['year', 'stage'],
  ['licenceStatus', 'ground'],
  ['year', 'municipality', 'licenceStatus'],
];

t.test('every grouping equals an independent computation over the raw rows', async (t) => {
  // Hundreds of statistics requests a minute by one analyst: the rate limit is not what is tested here.
  const { app, database, client, services } = await build(t, { config: { RATE_LIMIT_PER_MINUTE: '0' } });
  const { commands } = services;
  const analyst = await client('analyst');
  // Day precision (a range that is not whole months) is for admins and officers; analysts ask whole months.
  const admin = await client('admin');
  const officers = new Map<string, RequestContext>();
  for (const m of MUNICIPALITIES) {
    const officer = { clientId: (await client('officer', m)).id, name: 'officer', role: 'officer' as const, municipalityCode: m };
    officers.set(m, clientContext(officer, { requestId: null, reason: 'property test' }));
  }
  const all = (await services.queries.municipalities.list(systemContext('property test'), undefined, { page: 1, pageSize: 100 })).items.map(
    (m) => m.code,
  );
  let runs = 0;
  let compared = 0;

  await fc.assert(
    fc.asyncProperty(datasetArb, async (ds) => {
      runs += 1;
      // A clean slate: hard deletes go through the triggers too, and must empty the rollups.
      await database.owner.execute(sql`delete from enforcement_actions`);
      await database.owner.execute(sql`delete from licences`);
      await database.owner.execute(sql`delete from establishments`);
      const left = (await database.owner.execute(
        sql`select count(*)::int as n from statistics_action_cells where actions <> 0`,
      )) as unknown as { rows: { n: number }[] };
      if (left.rows[0]?.n !== 0) throw new Error('rollup not empty after deleting every action');

      const ests: {
        id: string;
        municipality: string;
        actor: RequestContext;
        licenceId: string | null;
        licenceVersion: number;
        n: number;
      }[] = [];
      let licenceNo = 0;
      for (const e of ds.establishments) {
        const actor = officers.get(e.municipality) as RequestContext;
        const created = madeBy(
          await commands.establishments.create(actor, {
            municipalityCode: e.municipality,
            name: 'Pand',
            kind: 'club',
            address: { street: 'Straat', houseNumber: 1, postalCode: '1012AB', city: 'Stad' },
          } as never),
        );
        const rec = { id: created.id, municipality: e.municipality, actor, licenceId: null as string | null, licenceVersion: 0, n: 0 };
        if (e.licence) {
          const l = madeBy(await commands.licences.create(actor, created.id, licenceBody(e.licence, ++licenceNo) as never));
          rec.licenceId = l.id;
          rec.licenceVersion = l.version;
        }
        ests.push(rec as (typeof ests)[number]);
      }
      for (const a of ds.actions) {
        const est = ests[a.establishment % ests.length] as (typeof ests)[number];
        const measure = warningSafe(a.measure, a.stage) ? a.measure : 'administrative_fine';
        let body = actionBody(est.id, measure, a.grounds, a.stage, iso(a.day), a.amount);
        let current = madeBy(await commands.enforcementActions.create(est.actor, body));
        for (const move of a.moves) {
          const options = STAGE_TRANSITIONS[current.stage as StageName].filter((s) => warningSafe(current.measure, s));
          if (options.length === 0) break;
          body = { ...(body as object), stage: options[move % options.length] } as never;
          current = await commands.enforcementActions.replace(est.actor, current.id, current.version, body);
        }
        if (a.correction) {
          const m = warningSafe(a.correction.measure, current.stage) ? a.correction.measure : current.measure;
          body = actionBody(est.id, m, a.grounds, current.stage as StageName, iso(a.correction.day), a.amount + 1);
          current = await commands.enforcementActions.replace(est.actor, current.id, current.version, body);
        }
        if (a.deleted) await commands.enforcementActions.remove(est.actor, current.id, current.version);
      }
      // Licence corrections after the actions: the registry re-derives their licenceStatus.
      for (const c of ds.licenceChanges) {
        const est = ests[c.establishment % ests.length] as (typeof ests)[number];
        if (est.licenceId && c.change) {
          const l = await commands.licences.replace(
            est.actor,
            est.id,
            est.licenceId,
            est.licenceVersion,
            licenceBody(c.change, ++licenceNo) as never,
          );
          est.licenceVersion = l.version;
        } else if (est.licenceId) {
          await commands.licences.remove(est.actor, est.id, est.licenceId, est.licenceVersion);
          est.licenceId = null;
        } else if (c.change) {
          const l = madeBy(await commands.licences.create(est.actor, est.id, licenceBody(c.change, ++licenceNo) as never));
          est.licenceId = l.id;
          est.licenceVersion = l.version;
        }
      }

      const raw = (
        (await database.owner.execute(sql`select a.*, a.decision_date::text as decision_date from enforcement_actions a`)) as unknown as {
          rows: RawAction[];
        }
      ).rows;
      // licenceStatus itself, derived here from the licence rows: in force on the date and granted then.
      const licences = (
        (await database.owner.execute(
          sql`select establishment_id, valid_from::text as valid_from, valid_until::text as valid_until, status_history from licences`,
        )) as unknown as {
          rows: {
            establishment_id: string;
            valid_from: string;
            valid_until: string | null;
            status_history: { status: string; effectiveDate: string }[];
          }[];
        }
      ).rows;
      for (const a of raw as (RawAction & { establishment_id: string })[]) {
        const d = a.decision_date;
        const licensed = licences.some((l) => {
          if (l.establishment_id !== a.establishment_id || d < l.valid_from || (l.valid_until !== null && d > l.valid_until)) return false;
          const before = l.status_history.filter((h) => h.effectiveDate <= d);
          return before.length > 0 && before[before.length - 1]?.status === 'granted';
        });
        if (a.deleted_at === null && a.licence_status !== (licensed ? 'licensed' : 'unlicensed')) {
          throw new Error(`action on ${d} is ${a.licence_status} but its licence history says otherwise`);
        }
      }

      const questions: { query: string; from: string; to: string; stages: string[]; municipalities?: string[]; days?: boolean }[] = [
        { query: 'yearFrom=2016&yearTo=2019', from: '2016-01-01', to: '2019-12-31', stages: ['decided', 'objection', 'appeal', 'final'] },
        {
          query: 'yearFrom=2017&yearTo=2019&municipalityCode=GM0363,GM0599',
          from: '2017-01-01',
          to: '2019-12-31',
          stages: ['decided', 'objection', 'appeal', 'final'],
          municipalities: ['GM0363', 'GM0599'],
        },
        {
          query: 'yearFrom=2017&yearTo=2018&stage=intended,withdrawn,annulled,final',
          from: '2017-01-01',
          to: '2018-12-31',
          stages: ['intended', 'withdrawn', 'annulled', 'final'],
        },
        {
          query: 'decisionDateFrom=2016-12-30&decisionDateTo=2018-01-02',
          from: '2016-12-30',
          to: '2018-01-02',
          stages: ['decided', 'objection', 'appeal', 'final'],
          days: true,
        },
      ];
      for (const q of questions) {
        for (const groupBy of GROUPINGS) {
          const url = `/v1/statistics/enforcement-actions?${q.query}${groupBy.length ? `&groupBy=${groupBy.join(',')}` : ''}`;
          const res = await app.inject({ url, headers: q.days ? admin.auth : analyst.auth });
          if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
          const got = comparable(json<{ items: Record<string, unknown>[] }>(res).items, groupBy);
          const want = expectedTable(raw, { groupBy, from: q.from, to: q.to, municipalities: q.municipalities ?? all, stages: q.stages });
          const sortKey = (r: { key: unknown }) => JSON.stringify(r.key);
          const a = [...got].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
          const b = [...want].sort((x, y) => sortKey(x).localeCompare(sortKey(y)));
          if (JSON.stringify(a) !== JSON.stringify(b)) {
            throw new Error(
              `${url} differs from the raw computation:\n got ${JSON.stringify(a.filter((r) => r.actions))}\nwant ${JSON.stringify(b.filter((r) => r.actions))}`,
            );
          }
          compared += 1;
        }
      }
    }),
    { numRuns: usingPostgres ? 15 : 12, endOnFailure: true },
  );
  t.ok(runs > 0, `${runs} random data sets`);
  t.ok(compared >= runs * GROUPINGS.length * 4, `${compared} answers compared with the raw computation`);
});
