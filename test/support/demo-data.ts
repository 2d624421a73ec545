/**
 * The demo data set: a deterministic (seeded) picture of enforcement in the ten LPP municipalities
 * over 2017–2019 whose counted totals are the letter's (24 March 2020): 85 actions against licensed
 * and 610 against unlicensed establishments. Pure: the same seed gives the same data.
 *
 * Licensed or unlicensed is never written: each action is placed on an establishment whose licence
 * history makes it licensed (or not) on the decision date, and the registry derives it. Some
 * licences are registered after their actions, so the registry re-derives those actions. Besides the
 * counted actions there are intended, withdrawn, annulled and deleted ones, which must not count.
 */
import type { StageName } from '../../src/domain/enforcement-actions.js';
import { type LicencePeriod, licenceStatusOn } from '../../src/domain/licences.js';

export const LETTER = { licensed: 85, unlicensed: 610, yearFrom: 2017, yearTo: 2019, municipalities: 10 } as const;

/** Relative size of each LPP municipality's sex industry (drives how many actions it has). */
const MUNICIPALITIES: { code: string; city: string; weight: number; postcode: number }[] = [
  { code: 'GM0363', city: 'Amsterdam', weight: 30, postcode: 1012 },
  { code: 'GM0599', city: 'Rotterdam', weight: 14, postcode: 3011 },
  { code: 'GM0518', city: "'s-Gravenhage", weight: 13, postcode: 2511 },
  { code: 'GM0344', city: 'Utrecht', weight: 9, postcode: 3511 },
  { code: 'GM0202', city: 'Arnhem', weight: 6, postcode: 6811 },
  { code: 'GM0014', city: 'Groningen', weight: 7, postcode: 9711 },
  { code: 'GM0796', city: "'s-Hertogenbosch", weight: 4, postcode: 5211 },
  { code: 'GM0080', city: 'Leeuwarden', weight: 4, postcode: 8911 },
  { code: 'GM0268', city: 'Nijmegen', weight: 6, postcode: 6511 },
  { code: 'GM0855', city: 'Tilburg', weight: 7, postcode: 5038 },
];
const YEARS = [2017, 2018, 2019] as const;
const YEAR_WEIGHTS = [0.9, 1, 1.1];

/** mulberry32: a small, well-known seeded PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const weighted = <T>(xs: readonly (readonly [T, number])[]): T => {
    const total = xs.reduce((n, [, w]) => n + w, 0);
    let r = next() * total;
    for (const [x, w] of xs) {
      r -= w;
      if (r < 0) return x;
    }
    return (xs[xs.length - 1] as readonly [T, number])[0];
  };
  return { next, int, pick, weighted };
}
type Rng = ReturnType<typeof prng>;

/** Splits `total` over weights so the parts add up exactly (largest remainder). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const raw = weights.map((w) => (total * w) / sum);
  const parts = raw.map(Math.floor);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const missing = total - parts.reduce((a, b) => a + b, 0);
  for (let k = 0; k < missing; k++) {
    const i = (order[k] as readonly [number, number])[1];
    parts[i] = (parts[i] as number) + 1;
  }
  return parts;
}

export const addDays = (iso: string, days: number) => {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};
const dateIn = (rng: Rng, year: number) => addDays(`${year}-01-01`, rng.int(0, year % 4 === 0 ? 365 : 364));

export interface DemoLicence {
  licenceNumber: string;
  validFrom: string;
  validUntil: string | null;
  statusHistory: { status: 'granted' | 'suspended' | 'revoked' | 'expired'; effectiveDate: string }[];
}

export interface DemoEstablishment {
  ref: string;
  body: {
    municipalityCode: string;
    name: string;
    kind: string;
    address: { street: string; houseNumber: number; postalCode: string; city: string };
  };
  licences: DemoLicence[];
  /** Licences registered only after the actions: the registry re-derives their licence status. */
  licencesLate: boolean;
}

export interface DemoAction {
  establishmentRef: string;
  /** The action as first recorded (without establishmentId). */
  body: Record<string, unknown> & { stage: StageName; decisionDate: string };
  /** Later corrections, applied in order with PUT: stage moves and field corrections. */
  corrections: (Record<string, unknown> & { stage: StageName })[];
  /** Deleted as recorded in error, with this reason. */
  deleteReason: string | null;
  /** What the letter's rule makes of it: counted as licensed/unlicensed, or not counted. */
  expected: 'licensed' | 'unlicensed' | 'not_counted';
}

export interface DemoData {
  establishments: DemoEstablishment[];
  actions: DemoAction[];
}

const STREETS = [
  'Oudezijds Achterburgwal',
  'Molensteeg',
  'Doelenstraat',
  'Hoogstraat',
  'Havenkade',
  'Spoorlaan',
  'Kanaalweg',
  'Industrieweg',
  'Stationsplein',
  'Nieuwstraat',
];
const KINDS = ['window_brothel', 'club', 'private_house', 'escort_agency', 'massage_parlour', 'home_based'] as const;
const NAMES = [
  'Rood',
  'Venus',
  'Paradiso',
  'Nachtegaal',
  'Sphinx',
  'Lotus',
  'Maxim',
  'Flamingo',
  'Orchidee',
  'Saturnus',
  'Diamant',
  'Oase',
];

/** Licence histories that keep an establishment licensed through 2017–2019, or not. */
function licenceHistory(rng: Rng, n: number, kind: 'steady' | 'suspended' | 'revoked' | 'lapsed'): DemoLicence[] {
  const num = (y: number) => `EV-${y}-${String(n).padStart(3, '0')}`;
  if (kind === 'steady') {
    return [
      {
        licenceNumber: num(2015),
        validFrom: '2015-01-01',
        validUntil: '2024-12-31',
        statusHistory: [{ status: 'granted', effectiveDate: '2015-01-01' }],
      },
    ];
  }
  if (kind === 'suspended') {
    const from = dateIn(rng, rng.pick([2017, 2018, 2019]));
    return [
      {
        licenceNumber: num(2014),
        validFrom: '2014-07-01',
        validUntil: null,
        statusHistory: [
          { status: 'granted', effectiveDate: '2014-07-01' },
          { status: 'suspended', effectiveDate: from },
          { status: 'granted', effectiveDate: addDays(from, rng.int(30, 120)) },
        ],
      },
    ];
  }
  if (kind === 'revoked') {
    const at = dateIn(rng, rng.pick([2017, 2018, 2019]));
    return [
      {
        licenceNumber: num(2013),
        validFrom: '2013-03-01',
        validUntil: null,
        statusHistory: [
          { status: 'granted', effectiveDate: '2013-03-01' },
          { status: 'revoked', effectiveDate: at },
        ],
      },
    ];
  }
  // lapsed: one licence ran out, a new one was granted after a gap
  const end = dateIn(rng, 2018);
  const restart = addDays(end, rng.int(60, 200));
  return [
    {
      licenceNumber: num(2012),
      validFrom: '2012-01-01',
      validUntil: end,
      statusHistory: [{ status: 'granted', effectiveDate: '2012-01-01' }],
    },
    {
      licenceNumber: num(Number(restart.slice(0, 4))),
      validFrom: restart,
      validUntil: null,
      statusHistory: [{ status: 'granted', effectiveDate: restart }],
    },
  ];
}

const LICENSED_MEASURES = [
  ['warning', 30],
  ['administrative_fine', 25],
  ['penalty_order', 18],
  ['licence_suspension', 10],
  ['closure', 10],
  ['licence_revocation', 4],
  ['administrative_coercion', 3],
] as const;
const UNLICENSED_MEASURES = [
  ['closure', 38],
  ['administrative_fine', 20],
  ['penalty_order', 24],
  ['warning', 10],
  ['administrative_coercion', 8],
] as const;
const LICENSED_GROUNDS = ['no_manager_present', 'licence_condition_breach', 'hygiene', 'worker_without_valid_id'] as const;
const UNLICENSED_EXTRA = ['worker_without_valid_id', 'trafficking_indicators', 'underage_worker', 'hygiene', 'other'] as const;

function measureParts(rng: Rng, measure: string, decisionDate: string): Record<string, unknown> {
  if (measure === 'administrative_fine') return { fine: { amountCents: rng.int(5, 200) * 10_000 } };
  if (measure === 'penalty_order') {
    const amount = rng.int(5, 100) * 10_000;
    const unit = rng.pick(['once', 'per_day', 'per_week', 'per_violation'] as const);
    const maximum = unit === 'once' ? amount : amount * rng.int(3, 10);
    const forfeited = rng.next() < 0.4 ? Math.min(maximum, amount * rng.int(1, 3)) : 0;
    return {
      penalty: {
        amountCents: amount,
        unit,
        maximumCents: maximum,
        complianceDeadline: addDays(decisionDate, rng.pick([7, 14, 28, 42])),
        forfeitedCents: forfeited,
      },
    };
  }
  if (measure === 'closure') {
    const start = addDays(decisionDate, rng.int(1, 14));
    return { closure: { startDate: start, endDate: rng.next() < 0.7 ? addDays(start, rng.pick([30, 90, 180, 365])) : null } };
  }
  return {};
}

const LEGAL_BASIS: Record<string, string> = {
  closure: 'Gemeentewet art. 174; APV art. 3:16',
  administrative_fine: 'Awb 5:40; APV art. 3:4',
  penalty_order: 'Awb 5:31d; Gemeentewet art. 125',
  administrative_coercion: 'Awb 5:21; Gemeentewet art. 125',
  warning: 'APV art. 3:4',
  licence_suspension: 'APV art. 3:16',
  licence_revocation: 'APV art. 3:16',
};

/** The counted stage path of an action: how it was recorded, then how its stage moved on. */
function countedPath(rng: Rng): StageName[] {
  return rng
    .weighted([
      [['decided'], 30],
      [['intended', 'decided'], 10],
      [['decided', 'objection'], 12],
      [['decided', 'objection', 'appeal'], 5],
      [['decided', 'final'], 20],
      [['final'], 15],
      [['decided', 'objection', 'final'], 8],
    ] as const)
    .slice();
}

const NOT_COUNTED_PATHS: [StageName[], number][] = [
  [['intended'], 40],
  [['intended', 'withdrawn'], 12],
  [['decided', 'withdrawn'], 8],
  [['decided', 'annulled'], 6],
  [['decided', 'objection', 'annulled'], 4],
];

export function generateDemoData(seed = 20200324): DemoData {
  const rng = prng(seed);
  const establishments: DemoEstablishment[] = [];
  const byMunicipality = new Map<string, DemoEstablishment[]>();
  let n = 0;
  for (const m of MUNICIPALITIES) {
    const list: DemoEstablishment[] = [];
    const licensedCount = 3 + Math.round(m.weight / 4);
    const unlicensedCount = 4 + Math.round(m.weight / 2);
    for (let i = 0; i < licensedCount + unlicensedCount; i++) {
      n += 1;
      const licensed = i < licensedCount;
      const history = licensed ? (i < 2 ? 'steady' : rng.pick(['steady', 'suspended', 'revoked', 'lapsed'] as const)) : null;
      const e: DemoEstablishment = {
        ref: `E${n}`,
        body: {
          municipalityCode: m.code,
          name: `${licensed ? 'Club' : 'Pand'} ${rng.pick(NAMES)} ${n}`,
          kind: rng.pick(KINDS),
          address: {
            street: rng.pick(STREETS),
            houseNumber: rng.int(1, 250),
            postalCode: `${m.postcode + rng.int(0, 8)}${rng.pick(['AB', 'CD', 'EG', 'HK', 'LM', 'NP'])}`,
            city: m.city.replace(/^'s-Gravenhage$/, 'Den Haag'),
          },
        },
        licences: history ? licenceHistory(rng, n, history) : [],
        licencesLate: history !== null && rng.next() < 0.3,
      };
      list.push(e);
      establishments.push(e);
    }
    byMunicipality.set(m.code, list);
  }
  const periods = (e: DemoEstablishment): LicencePeriod[] => e.licences.map((l) => ({ ...l }));

  const actions: DemoAction[] = [];
  let caseNo = 0;
  const make = (
    m: (typeof MUNICIPALITIES)[number],
    year: number,
    status: 'licensed' | 'unlicensed',
    path: StageName[],
    expected: DemoAction['expected'],
    deleteReason: string | null,
  ) => {
    const candidates = byMunicipality.get(m.code) as DemoEstablishment[];
    for (;;) {
      const date = dateIn(rng, year);
      const fitting = candidates.filter((e) => licenceStatusOn(periods(e), date) === status);
      if (fitting.length === 0) continue;
      const e = rng.pick(fitting);
      const measure = rng.weighted(status === 'licensed' ? LICENSED_MEASURES : UNLICENSED_MEASURES);
      const grounds =
        status === 'licensed'
          ? [...new Set([rng.pick(LICENSED_GROUNDS), ...(rng.next() < 0.3 ? [rng.pick(LICENSED_GROUNDS)] : [])])]
          : ['unlicensed_operation', ...(rng.next() < 0.35 ? [rng.pick(UNLICENSED_EXTRA)] : [])];
      caseNo += 1;
      const body = {
        measure,
        grounds,
        stage: path[0] as StageName,
        decisionDate: date,
        ...measureParts(rng, measure, date),
        legalBasis: LEGAL_BASIS[measure],
        caseReference: `Z-${year}-${String(caseNo).padStart(5, '0')}`,
      };
      const corrections = path.slice(1).map((stage) => ({ ...body, stage }));
      actions.push({ establishmentRef: e.ref, body, corrections, deleteReason, expected });
      return;
    }
  };

  const weights = MUNICIPALITIES.flatMap((m) => YEAR_WEIGHTS.map((yw) => m.weight * yw));
  for (const status of ['licensed', 'unlicensed'] as const) {
    const counts = apportion(LETTER[status], weights);
    MUNICIPALITIES.forEach((m, mi) => {
      YEARS.forEach((year, yi) => {
        for (let k = 0; k < (counts[mi * YEARS.length + yi] as number); k++) {
          make(m, year, status, countedPath(rng), status, null);
        }
      });
    });
  }
  // Recorded but not counted: intended, withdrawn, annulled, and some deleted as recorded in error.
  for (const [path, times] of NOT_COUNTED_PATHS) {
    for (let k = 0; k < times; k++) {
      const m = rng.weighted(MUNICIPALITIES.map((x) => [x, x.weight] as const));
      make(m, rng.pick(YEARS), rng.next() < 0.15 ? 'licensed' : 'unlicensed', path, 'not_counted', null);
    }
  }
  for (let k = 0; k < 9; k++) {
    const m = rng.weighted(MUNICIPALITIES.map((x) => [x, x.weight] as const));
    make(m, rng.pick(YEARS), rng.next() < 0.2 ? 'licensed' : 'unlicensed', ['decided'], 'not_counted', 'recorded twice by mistake');
  }
  // Warnings cannot be in objection or appeal: give warnings a warning-safe path.
  for (const a of actions) {
    if (a.body.measure !== 'warning') continue;
    const stages = [a.body.stage, ...a.corrections.map((c) => c.stage)];
    if (stages.some((s) => s === 'objection' || s === 'appeal')) {
      const safe = stages.filter((s) => s !== 'objection' && s !== 'appeal');
      a.body.stage = safe[0] as StageName;
      a.corrections = safe.slice(1).map((stage) => ({ ...a.body, stage }));
    }
  }
  return { establishments, actions };
}
