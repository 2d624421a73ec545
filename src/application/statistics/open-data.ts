import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ShuttingDown } from '../../domain/errors.js';
import type { BaseTable, ProtectedCube } from '../../domain/joint-suppression.js';
import { existsIn } from '../../domain/municipalities.js';
import {
  KEY_OF,
  LICENCE_STATUSES,
  MEASURES,
  OPEN_DATA_DIMENSIONS,
  type OpenDataDimension,
  type ReportingStatus,
  reportingStatus,
  zeroStatus,
} from '../../domain/statistics.js';
import { findOpenDataRelease, insertOpenDataRelease } from '../../infrastructure/repositories/reporting.js';
import type { MunicipalityRef } from '../../infrastructure/repositories/statistics.js';
import type { CommandRunner } from '../commands/run.js';
import { publicContext, systemContext } from '../context.js';
import type { Reader } from '../queries/read.js';
import type { CountingRule, StatisticsService } from './statistics.js';

export type CellStatus = 'reported' | 'zero' | 'nothing_to_report' | 'suppressed' | 'not_reported';

export interface PublishedValue {
  value: number | null;
  status: CellStatus;
}

/**
 * The open data of one fixed moment: the whole table (year × municipality × licence status ×
 * measure over every registered municipality and every year with data, default counted stages; a
 * municipality in the years it exists, its other cells of the grid known zeros)
 * and every coarser grouping of it, protected jointly (domain/joint-suppression.ts). Stored once
 * per moment and served unchanged until the next, so polling within a moment learns nothing new; two
 * releases differ by the changes between their computations (docs/statistics.md, "Released at fixed moments").
 */
export interface OpenDataRelease {
  moment: string;
  computedAt: string;
  nextMoment: string;
  threshold: number;
  countingRule: CountingRule;
  domains: { year: number[]; municipality: string[]; licenceStatus: string[]; measure: string[] };
  /** Per municipality and year: reported (actions), nothing_to_report (attested, no actions), not_reported. */
  reporting: { municipalityCode: string; year: number; status: ReportingStatus }[];
  /** Grouping (bit mask over OPEN_DATA_DIMENSIONS) → its cells in row-major order. */
  groupings: Record<string, { values: (number | null)[]; statuses: CellStatus[] }>;
  /** How often the exact audit made the protection suppress more than the per-equation rule. */
  auditRounds: number;
}

const DAY_MS = 86_400_000;

/**
 * protectCube (domain/joint-suppression.ts) in a worker thread. Its exact audit is CPU work that
 * grows fast with the table (docs/performance.md, `npm run bench:open-data`: seconds at 100
 * municipalities, minutes at every Dutch one), and run in the service's own thread it would hold
 * every request for that long. The worker is the same module in this build: .ts under tsx and tap,
 * .js from dist.
 */
export function protectOffThread(
  table: BaseTable,
  threshold: number,
  knownZero: (base: number) => boolean,
  atLeastOne: readonly (readonly number[])[] = [],
  signal?: AbortSignal,
): Promise<ProtectedCube> {
  if (signal?.aborted) return Promise.reject(stopped());
  const ext = extname(fileURLToPath(import.meta.url));
  const worker = new URL(`./protect-worker${ext}`, import.meta.url);
  const workerData = { table, threshold, knownZero: Uint8Array.from(table.values, (_, b) => (knownZero(b) ? 1 : 0)), atLeastOne };
  // From source (tsx, tap) the worker registers tsx's TypeScript hooks itself first: hooks of the
  // main thread do not reach a worker, and on Node 20 `--import` in its execArgv comes too late.
  const thread =
    ext === '.ts'
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker.href)}); })`,
          { eval: true, workerData },
        )
      : new Worker(worker, { workerData });
  // Stopped (the service closes): the thread ends now, not when its minutes of work are done.
  const stop = () => {
    void thread.terminate();
  };
  signal?.addEventListener('abort', stop, { once: true });
  return new Promise<ProtectedCube>((resolve, reject) => {
    thread.once('message', (cube: ProtectedCube) => resolve(cube));
    thread.once('error', reject);
    thread.once('exit', (code) =>
      reject(signal?.aborted ? stopped() : new Error(`the open-data protection worker stopped (exit code ${code})`)),
    );
  }).finally(() => signal?.removeEventListener('abort', stop));
}

const stopped = () =>
  new ShuttingDown(
    'This instance is shutting down before it finished computing the open data of this moment; another instance answers a retry.',
  );

/** The protection of a release, in the words of its counting rule (docs/statistics.md, "What is published"). */
export const protectionRule = (threshold: number) =>
  `Open data publishes counts only, no amounts. ${
    threshold > 1
      ? `A count from 1 to ${threshold - 1} in any grouping is withheld (suppressed), and so are further counts wherever the published values together would give a withheld one away`
      : 'No count is withheld (the suppression threshold is 1)'
  }. A 0 known from the reporting list (a municipality-year without actions) is always published; any other value, a 0 included, may be withheld to protect another. A 0 of a municipality-year with neither actions nor a reporting attestation is not reported.`;

/** Open data is released daily at 00:00 UTC: the moment a given time belongs to. */
export const releaseMomentOf = (now: Date) => new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);

async function computeRelease(service: StatisticsService, threshold: number, moment: Date, signal: AbortSignal): Promise<OpenDataRelease> {
  const ctx = publicContext(null);
  // One snapshot (table()): the counts and each municipality-year's reporting status agree.
  const { resolved, rows, reporting, countingRule } = await service.table(
    ctx,
    { groupBy: [...OPEN_DATA_DIMENSIONS] },
    { publishes: 'counts' },
  );
  const reported = new Map(reporting.map((r) => [`${r.municipalityCode}:${r.year}`, r.status]));
  const domains = {
    year: resolved.years,
    municipality: resolved.municipalities.map((m) => m.code),
    licenceStatus: [...LICENCE_STATUSES] as string[],
    measure: [...MEASURES] as string[],
  };
  const sizes = OPEN_DATA_DIMENSIONS.map((d) => domains[d].length);
  const position = OPEN_DATA_DIMENSIONS.map((d) => new Map<string | number, number>(domains[d].map((v, i) => [v, i])));
  const values = new Array<number>(sizes.reduce((a, b) => a * b, 1)).fill(0);
  for (const r of rows) {
    let index = 0;
    OPEN_DATA_DIMENSIONS.forEach((d, i) => {
      index = index * (sizes[i] as number) + (position[i]?.get(r[KEY_OF[d]] as string | number) as number);
    });
    values[index] = r.actions;
  }
  // Municipality-years: their actions and reporting status (public, so a year without actions is a known 0).
  const perYear = sizes[1] as number;
  const cellsPerMunicipalityYear = (sizes[2] as number) * (sizes[3] as number);
  const myOf = (base: number) => Math.floor(base / cellsPerMunicipalityYear);
  const myActions = new Array<number>((sizes[0] as number) * perYear).fill(0);
  values.forEach((v, b) => {
    myActions[myOf(b)] = (myActions[myOf(b)] as number) + v;
  });
  // A municipality-year in no scope (see myInScope) is not in `reporting`: its status is never read.
  const myStatus: ReportingStatus[] = myActions.map(
    (n, i) => reported.get(`${domains.municipality[i % perYear]}:${domains.year[Math.floor(i / perYear)]}`) ?? reportingStatus(n, false),
  );
  // A municipality-year before a municipality was formed or after it merged away is in no scope: not
  // listed in `reporting`, and a known 0 (it has no records: the commands refuse them).
  const myInScope = myActions.map((_, i) =>
    existsIn(resolved.municipalities[i % perYear] as MunicipalityRef, domains.year[Math.floor(i / perYear)] as number),
  );
  const table: BaseTable = { sizes, values };
  // The reporting list is public: a municipality-year without actions is a known 0, and one with
  // actions holds at least 1 (a lower bound the protection must not let pin a withheld count).
  const withActions = myActions.flatMap((n, my) =>
    n > 0 ? [Array.from({ length: cellsPerMunicipalityYear }, (_, j) => my * cellsPerMunicipalityYear + j)] : [],
  );
  const cube = await protectOffThread(table, threshold, (b) => myActions[myOf(b)] === 0, withActions, signal);
  const groupings: OpenDataRelease['groupings'] = {};
  for (const [mask, g] of cube.groupings) {
    const members = cube.members.get(mask) as number[][];
    const statuses: CellStatus[] = g.cells.map((c, i) => {
      if (c.suppressed) return 'suppressed';
      if (c.value > 0) return 'reported';
      const covered = [...new Set((members[i] as number[]).map(myOf))].filter((my) => myInScope[my]);
      return zeroStatus(covered.map((my) => myStatus[my] as ReportingStatus));
    });
    groupings[mask] = {
      values: g.cells.map((c, i) => (statuses[i] === 'suppressed' || statuses[i] === 'not_reported' ? null : c.value)),
      statuses,
    };
  }
  const computedAt = new Date();
  return {
    moment: moment.toISOString(),
    computedAt: computedAt.toISOString(),
    nextMoment: new Date(moment.getTime() + DAY_MS).toISOString(),
    threshold,
    countingRule: {
      ...countingRule,
      description: `${countingRule.description} ${protectionRule(threshold)}`,
      asOf: computedAt.toISOString(),
    },
    domains,
    reporting: myStatus.flatMap((status, i) =>
      myInScope[i]
        ? [{ municipalityCode: domains.municipality[i % perYear] as string, year: domains.year[Math.floor(i / perYear)] as number, status }]
        : [],
    ),
    groupings,
    auditRounds: cube.auditRounds,
  };
}

type Keys = Partial<Record<'year' | 'municipalityCode' | 'licenceStatus' | 'measure', string | number>>;

/** One grouping of a release, as the open-data endpoint shows it: cells, margins per dimension, total. */
export function openDataView(release: OpenDataRelease, groupBy: readonly OpenDataDimension[]) {
  const dims = OPEN_DATA_DIMENSIONS.filter((d) => groupBy.includes(d));
  const maskOf = (ds: readonly OpenDataDimension[]) => ds.reduce((m, d) => m | (1 << OPEN_DATA_DIMENSIONS.indexOf(d)), 0);
  const cellsOf = (ds: readonly OpenDataDimension[]) => {
    const g = release.groupings[maskOf(ds)] as OpenDataRelease['groupings'][string];
    return g.values.map((value, i) => {
      const keys: Keys = {};
      let rest = i;
      for (let j = ds.length - 1; j >= 0; j--) {
        const d = ds[j] as OpenDataDimension;
        const domain = release.domains[d] as (string | number)[];
        keys[KEY_OF[d] as keyof Keys] = domain[rest % domain.length] as string | number;
        rest = Math.floor(rest / domain.length);
      }
      return { ...keys, value, status: g.statuses[i] as CellStatus };
    });
  };
  const total = cellsOf([])[0] as PublishedValue;
  return {
    countingRule: { ...release.countingRule, groupBy: [...dims] } as CountingRule,
    release: { moment: release.moment, computedAt: release.computedAt, nextMoment: release.nextMoment },
    threshold: release.threshold,
    cells: cellsOf(dims),
    margins: dims.length > 1 ? dims.flatMap((d) => cellsOf([d]).map((c) => ({ dimension: d, ...c }))) : [],
    total: { value: total.value, status: total.status },
    reporting: release.reporting,
  };
}

/**
 * Open data at fixed moments. `current()` answers with the release of the moment the clock is in,
 * publishing it first when it is missing (once per moment across instances: the moment is the key;
 * concurrent requests in one instance share the one computation). `publish(moment)` is the command.
 */
export function createOpenData(deps: {
  service: StatisticsService;
  read: Reader;
  runner: CommandRunner;
  threshold: number;
  clock: () => Date;
}) {
  const pending = new Map<string, Promise<OpenDataRelease>>();
  const stopping = new AbortController();

  async function stored(moment: Date): Promise<OpenDataRelease | null> {
    const row = await deps.read.one(publicContext(null), (tx) => findOpenDataRelease(tx, moment));
    return row ? (row.content as OpenDataRelease) : null;
  }

  /** Computes and stores the release of `moment`, unless it exists; returns the stored one. */
  async function publish(moment: Date): Promise<OpenDataRelease> {
    const existing = await stored(moment);
    if (existing) return existing;
    const release = await computeRelease(deps.service, deps.threshold, moment, stopping.signal);
    if (stopping.signal.aborted) throw stopped(); // computed just as the close began: left to the next instance
    await deps.runner.run(systemContext('open data release'), async (tx) => {
      const inserted = await insertOpenDataRelease(tx, moment, new Date(release.computedAt), release);
      const summary = { moment: release.moment, computedAt: release.computedAt, threshold: release.threshold };
      return {
        value: null,
        changes: inserted
          ? [
              {
                action: 'create' as const,
                objectType: 'open_data_release' as const,
                objectId: release.moment,
                municipalityCode: null,
                before: null,
                after: summary,
              },
            ]
          : [],
      };
    });
    return (await stored(moment)) as OpenDataRelease;
  }

  async function current(): Promise<OpenDataRelease> {
    const moment = releaseMomentOf(deps.clock());
    const key = moment.toISOString();
    const running = pending.get(key);
    if (running) return running;
    const work = (async () => (await stored(moment)) ?? publish(moment))();
    pending.set(key, work);
    try {
      return await work;
    } finally {
      pending.delete(key);
    }
  }

  /** The release of the moment the clock is in if it is out already, else null: never computes one. */
  const published = (): Promise<OpenDataRelease | null> => stored(releaseMomentOf(deps.clock()));

  /** Ends a computation in progress (its worker thread) as the service closes; the requests waiting get a 503. */
  const stop = () => stopping.abort();

  return { current, published, publish, view: openDataView, stop };
}
