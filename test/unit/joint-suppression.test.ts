import fc from 'fast-check';
import t from 'tap';
import { type BaseTable, coverOf, protectCube } from '../../src/domain/joint-suppression.js';
import { type Equation, type Item, isPrimary, suppress } from '../../src/domain/suppression.js';
import { type PublishedCell, recoverableCells } from '../support/linear-audit.js';

const THRESHOLD = 5;

/** Counts as they come: many zeros, many small counts (the cells that need protection), some large ones. */
const count = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }) },
  { weight: 3, arbitrary: fc.integer({ min: 5, max: 40 }) },
);

const table = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 })
  .filter((sizes) => sizes.reduce((a, b) => a * b, 1) <= 54)
  .chain((sizes) =>
    fc
      .array(count, { minLength: sizes.reduce((a, b) => a * b, 1), maxLength: sizes.reduce((a, b) => a * b, 1) })
      .map((values): BaseTable => ({ sizes, values })),
  );

/** Every published cell of every grouping, as the attacker holds them. */
function attackerView(tb: BaseTable, groupings: ReturnType<typeof protectCube>['groupings']) {
  const cover = coverOf(tb);
  const cells: (PublishedCell & { item: Item; trueValue: number })[] = [];
  for (const [mask, g] of groupings) {
    g.cells.forEach((item, i) => {
      const members = (cover.get(mask) as number[][])[i] as number[];
      const trueValue = members.reduce((n, b) => n + (tb.values[b] as number), 0);
      cells.push({ members, value: item.suppressed ? null : item.value, item, trueValue });
    });
  }
  return cells;
}

t.test('no suppressed cell of any grouping is determined by all published groupings together (exact, random tables)', async (t) => {
  let suppressedSeen = 0;
  let tablesWithSuppression = 0;
  fc.assert(
    fc.property(table, (tb) => {
      const { groupings } = protectCube(tb, THRESHOLD);
      const cells = attackerView(tb, groupings);
      const base = tb.values.length;
      // Published figures are the true sums, and every small count is withheld.
      for (const c of cells) {
        if (c.item.value !== c.trueValue) return false;
        if (isPrimary(c.trueValue, THRESHOLD) && c.value !== null) return false;
      }
      const withheld = cells.filter((c) => c.value === null).length;
      suppressedSeen += withheld;
      if (withheld > 0) tablesWithSuppression += 1;
      return recoverableCells(base, cells).length === 0;
    }),
    { numRuns: 150, seed: 20261201 },
  );
  t.ok(tablesWithSuppression > 50, `the random tables exercise suppression (${tablesWithSuppression} tables, ${suppressedSeen} cells)`);
});

/**
 * The protection this replaces (before issue 15): each grouping suppressed on its own, with one
 * margin per value of each of its dimensions and a grand total (src/application/statistics/open-data.ts then).
 */
function perGroupingView(tb: BaseTable): PublishedCell[] {
  const cover = coverOf(tb);
  const k = tb.sizes.length;
  const cells: PublishedCell[] = [];
  for (let mask = 1; mask < 1 << k; mask++) {
    const members = cover.get(mask) as number[][];
    const value = (m: number[]) => m.reduce((n, b) => n + (tb.values[b] as number), 0);
    const items: Item[] = members.map((m) => ({ value: value(m), suppressed: false }));
    const all = tb.values.map((_, b) => b);
    const total: Item = { value: value(all), suppressed: false };
    const equations: Equation[] = [{ total, parts: items }];
    const published: { item: Item; members: number[] }[] = items.map((item, i) => ({ item, members: members[i] as number[] }));
    const dims = Array.from({ length: k }, (_, d) => d).filter((d) => (mask >> d) & 1);
    if (dims.length > 1) {
      for (const d of dims) {
        const margins = (cover.get(1 << d) as number[][]).map((m) => ({
          item: { value: value(m), suppressed: false } as Item,
          members: m,
        }));
        for (const mg of margins) {
          const set = new Set(mg.members);
          const parts = published.slice(0, items.length).filter((p) => p.members.every((b) => set.has(b)));
          equations.push({ total: mg.item, parts: parts.map((p) => p.item) });
        }
        equations.push({ total, parts: margins.map((m) => m.item) });
        published.push(...margins);
      }
    }
    published.push({ item: total, members: all });
    suppress(
      published.map((p) => p.item),
      equations,
      THRESHOLD,
    );
    for (const p of published) cells.push({ members: p.members, value: p.item.suppressed ? null : p.item.value });
  }
  return cells;
}

t.test('the same check finds the differencing attack on groupings suppressed one by one (the checker has teeth)', async (t) => {
  let recoverable = 0;
  let tables = 0;
  fc.assert(
    fc.property(table, (tb) => {
      const found = recoverableCells(tb.values.length, perGroupingView(tb)).length;
      recoverable += found;
      if (found > 0) tables += 1;
      return true;
    }),
    { numRuns: 150, seed: 20261201 },
  );
  t.ok(tables > 0, `per-grouping suppression leaves cells recoverable (${recoverable} cells in ${tables} of 150 tables)`);
});

t.test('cells the public knows to be 0 (a municipality-year without actions) are never withheld, and the rest stays safe', async (t) => {
  let pinned = 0;
  fc.assert(
    fc.property(table, fc.integer({ min: 0, max: 2 }), (tb, silent) => {
      // Every base cell whose first coordinate is `silent` is 0 and publicly known to be (like a
      // municipality-year whose reporting status says it has no actions).
      const first = tb.sizes[0] as number;
      const perFirst = tb.values.length / first;
      const isSilent = (b: number) => Math.floor(b / perFirst) === silent % first;
      const values = tb.values.map((v, b) => (isSilent(b) ? 0 : v));
      const zeroed: BaseTable = { sizes: tb.sizes, values };
      const { groupings } = protectCube(zeroed, THRESHOLD, isSilent);
      const cells = attackerView(zeroed, groupings);
      for (const c of cells) {
        if (c.members.every(isSilent) && c.value === null) return false; // a known 0 withheld
        if (c.members.every(isSilent)) pinned += 1;
      }
      // The attacker also knows each silent base cell is 0.
      const known: PublishedCell[] = values
        .map((_, b) => b)
        .filter(isSilent)
        .map((b) => ({ members: [b], value: 0 }));
      return recoverableCells(values.length, [...cells, ...known]).length === 0;
    }),
    { numRuns: 100, seed: 15 },
  );
  t.ok(pinned > 0, `${pinned} known zeros stayed published`);
});

t.test('the same table always gives the same pattern, and large counts stay published where they can', async (t) => {
  const tb: BaseTable = { sizes: [2, 3, 2], values: [0, 3, 12, 40, 7, 0, 22, 1, 9, 15, 30, 8] };
  const a = protectCube(tb, THRESHOLD);
  const b = protectCube(tb, THRESHOLD);
  const pattern = (c: typeof a) => [...c.groupings.values()].map((g) => g.cells.map((i) => i.suppressed));
  t.same(pattern(a), pattern(b));
  t.equal(a.groupings.get(0)?.cells[0]?.suppressed, false, 'the grand total is published');
});
