/**
 * Joint statistical disclosure control for every published grouping of one table (open data).
 *
 * The published set is a full lattice: a base table over k dimensions (its finest grouping) and
 * every coarser grouping of it (each subset of the dimensions, down to the grand total). Every
 * published cell is therefore a sum of base cells, and an attacker who holds all groupings holds
 * one linear system over the base cells. The protection holds for that system as a whole:
 *
 * 1. primary: every cell (of any grouping) from 1 to the threshold − 1 is suppressed (isPrimary);
 * 2. secondary, per equation: in every "cell = sum of its children along one dimension" equation
 *    either nothing or at least two members are suppressed (domain/suppression.ts);
 * 3. exact audit: the unknowns are the suppressed base cells (published base cells are known, and
 *    every base cell inside a published 0 is known to be 0, because counts are not negative). A
 *    suppressed cell of any grouping is *determined* when its vector over the unknowns lies in the
 *    row space of the published cells' vectors: checked by exact integer (bigint, fraction-free)
 *    Gaussian elimination. While any suppressed cell is determined, one more cell next to it is
 *    suppressed and steps 2–3 run again. It ends: at worst everything is suppressed.
 *
 * 4. bounds, per equation: the public may know that some groups of base cells hold at least 1 each
 *    (`atLeastOne`: a municipality-year whose reporting status says it has actions). A withheld cell
 *    is then at least the number of such groups inside it. In an equation whose total is published,
 *    the withheld parts sum to the total less the published parts; when that rest equals the sum of
 *    their lower bounds, each is pinned to its bound. One more part is withheld (the smallest
 *    published one, else the total) and steps 2–4 run again.
 *
 * Cells known to be 0 from elsewhere (`knownZero` base cells) are never withheld and count as known.
 *
 * Guarantee: no suppressed cell of any grouping equals a linear combination of published cells
 * (including the known zeros), so no combination of sums and differences of published figures
 * gives it exactly; and no single equation pins its withheld parts by their lower bounds.
 * Not guaranteed: interval width, and bounds combined across several equations (a linear-programming
 * audit would find those). A withheld cell is at most the smallest published cell that contains it
 * less the bounds of its withheld siblings, and at least its own bound.
 */
import { type Equation, type Item, isPrimary, suppress } from './suppression.js';

/** A base table: dimension value lists and one value per combination (row-major, first dimension slowest). */
export interface BaseTable {
  /** Number of values of each dimension. */
  sizes: readonly number[];
  /** One count per base cell; length is the product of sizes. */
  values: readonly number[];
}

/** One published grouping: a subset of the dimensions (bit mask) and its cells. */
export interface Grouping {
  mask: number;
  /** The grouped dimensions, in order. */
  dims: number[];
  /** Cells in row-major order over `dims`. */
  cells: Item[];
}

export interface ProtectedCube {
  groupings: Map<number, Grouping>;
  /** For each grouping (mask), the base cells each of its cells sums. */
  members: Map<number, number[][]>;
  /** How many times the exact audit found determined cells and more were suppressed. */
  auditRounds: number;
}

/** Index of a grouping's cell from the full base coordinates. */
function groupIndex(sizes: readonly number[], dims: readonly number[], coords: readonly number[]): number {
  let i = 0;
  for (const d of dims) i = i * (sizes[d] as number) + (coords[d] as number);
  return i;
}

function baseCoords(sizes: readonly number[], index: number): number[] {
  const c = new Array<number>(sizes.length).fill(0);
  for (let d = sizes.length - 1; d >= 0; d--) {
    const n = sizes[d] as number;
    c[d] = index % n;
    index = Math.floor(index / n);
  }
  return c;
}

const dimsOf = (mask: number, k: number) => Array.from({ length: k }, (_, d) => d).filter((d) => (mask >> d) & 1);

/** Every grouping of the lattice with its (unsuppressed) values, and which base cells each cell covers. */
function lattice(table: BaseTable) {
  const k = table.sizes.length;
  const full = (1 << k) - 1;
  const coords = table.values.map((_, i) => baseCoords(table.sizes, i));
  const groupings = new Map<number, Grouping>();
  const members = new Map<number, number[][]>(); // mask → cell → base indices
  for (let mask = 0; mask <= full; mask++) {
    const dims = dimsOf(mask, k);
    const n = dims.reduce((p, d) => p * (table.sizes[d] as number), 1);
    const cells: Item[] = Array.from({ length: n }, () => ({ value: 0, suppressed: false }));
    const cover: number[][] = Array.from({ length: n }, () => []);
    coords.forEach((c, b) => {
      const g = groupIndex(table.sizes, dims, c);
      (cells[g] as Item).value += table.values[b] as number;
      (cover[g] as number[]).push(b);
    });
    groupings.set(mask, { mask, dims, cells });
    members.set(mask, cover);
  }
  return { k, full, coords, groupings, members };
}

/** The one-step equations: each cell of a grouping = the sum of its children along one more dimension. */
function oneStepEquations(table: BaseTable, lat: ReturnType<typeof lattice>): Equation[] {
  const equations: Equation[] = [];
  for (const [mask, g] of lat.groupings) {
    for (let d = 0; d < lat.k; d++) {
      if ((mask >> d) & 1) continue;
      const child = lat.groupings.get(mask | (1 << d)) as Grouping;
      const parts: Item[][] = g.cells.map(() => []);
      const seen = new Set<number>();
      lat.coords.forEach((c) => {
        const ci = groupIndex(table.sizes, child.dims, c);
        if (seen.has(ci)) return;
        seen.add(ci);
        (parts[groupIndex(table.sizes, g.dims, c)] as Item[]).push(child.cells[ci] as Item);
      });
      g.cells.forEach((total, i) => {
        equations.push({ total, parts: parts[i] as Item[] });
      });
    }
  }
  return equations;
}

/** A sparse integer row: column → coefficient (never 0). */
type Row = Map<number, bigint>;

const abs = (x: bigint) => (x < 0n ? -x : x);
function gcd(a: bigint, b: bigint): bigint {
  a = abs(a);
  b = abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * A basis in reduced row echelon form over the integers (fraction-free elimination, every row kept
 * primitive): the row space over the rationals of every row added. Every pivot column is zero in
 * all other rows, so eliminating a vector's pivot columns once leaves a remainder that is zero
 * exactly when the vector lies in the row space.
 */
export class ExactRowSpace {
  /** pivot column → its row */
  private readonly pivots = new Map<number, Row>();
  /** non-pivot column → the pivot columns whose rows have an entry there */
  private readonly users = new Map<number, Set<number>>();

  /** r := p·r − a·row (a = r[pivot], p = row[pivot]), made primitive; returns r. */
  private static eliminate(r: Row, pivot: number, row: Row): void {
    const a = r.get(pivot) as bigint;
    const p = row.get(pivot) as bigint;
    if (p !== 1n) for (const [c, x] of r) r.set(c, x * p);
    for (const [c, y] of row) {
      const x = (r.get(c) ?? 0n) - a * y;
      if (x === 0n) r.delete(c);
      else r.set(c, x);
    }
    primitive(r);
  }

  /** The remainder of `v` after eliminating every pivot column from a copy of it. */
  reduce(v: Row): Row {
    const r = new Map(v);
    for (const c of v.keys()) {
      const row = this.pivots.get(c);
      if (row && r.has(c)) ExactRowSpace.eliminate(r, c, row);
    }
    return r;
  }

  /** Adds a row; returns false when it was already in the row space. */
  add(v: Row): boolean {
    const r = this.reduce(v);
    if (r.size === 0) return false;
    // Pivot: the column fewest other rows use (less fill-in); ties: the smallest column.
    let pivot = -1;
    let uses = Number.POSITIVE_INFINITY;
    for (const c of r.keys()) {
      const n = this.users.get(c)?.size ?? 0;
      if (n < uses || (n === uses && c < pivot)) {
        pivot = c;
        uses = n;
      }
    }
    for (const other of [...(this.users.get(pivot) ?? [])]) {
      const row = this.pivots.get(other) as Row;
      const before = new Set(row.keys());
      ExactRowSpace.eliminate(row, pivot, r);
      for (const c of before) if (!row.has(c) && c !== other) this.users.get(c)?.delete(other);
      for (const c of row.keys()) if (c !== other && !before.has(c)) this.use(c, other);
    }
    this.users.delete(pivot);
    this.pivots.set(pivot, r);
    for (const c of r.keys()) if (c !== pivot) this.use(c, pivot);
    return true;
  }

  private use(c: number, pivot: number) {
    const set = this.users.get(c);
    if (set) set.add(pivot);
    else this.users.set(c, new Set([pivot]));
  }

  contains(v: Row): boolean {
    return this.reduce(v).size === 0;
  }

  get rank() {
    return this.pivots.size;
  }
}

function primitive(r: Row): Row {
  let g = 0n;
  for (const x of r.values()) g = gcd(g, x);
  if (g <= 1n) return r;
  for (const [c, x] of r) r.set(c, x / g);
  return r;
}

/**
 * The suppressed cells that the published cells determine exactly: for each, its grouping mask
 * and cell index. Unknowns are the suppressed base cells that no published 0 pins to 0.
 */
export function determinedCells(
  table: BaseTable,
  groupings: Map<number, Grouping>,
  members: Map<number, number[][]>,
): { mask: number; cell: number }[] {
  const k = table.sizes.length;
  const full = (1 << k) - 1;
  const base = groupings.get(full) as Grouping;
  const knownZero = new Set<number>();
  for (const [mask, g] of groupings) {
    g.cells.forEach((c, i) => {
      if (!c.suppressed && c.value === 0) for (const b of (members.get(mask) as number[][])[i] as number[]) knownZero.add(b);
    });
  }
  const unknown = (b: number) => (base.cells[b] as Item).suppressed && !knownZero.has(b);
  const vector = (mask: number, i: number): Row => {
    const r: Row = new Map();
    for (const b of (members.get(mask) as number[][])[i] as number[]) if (unknown(b)) r.set(b, 1n);
    return r;
  };
  const space = new ExactRowSpace();
  const published: Row[] = [];
  for (const [mask, g] of groupings) {
    if (mask === full) continue;
    g.cells.forEach((c, i) => {
      if (c.suppressed) return;
      const v = vector(mask, i);
      if (v.size > 0) published.push(v);
    });
  }
  // Short rows first: they keep the elimination sparse.
  published.sort((a, b) => a.size - b.size);
  for (const v of published) space.add(v);
  const found: { mask: number; cell: number }[] = [];
  for (const [mask, g] of groupings) {
    g.cells.forEach((c, i) => {
      if (c.suppressed && space.contains(vector(mask, i))) found.push({ mask, cell: i });
    });
  }
  return found;
}

/**
 * Protects the base table and every coarser grouping of it jointly (see the module comment).
 * Deterministic: the same table gives the same suppression pattern.
 */
export function protectCube(
  table: BaseTable,
  threshold: number,
  knownZero: (base: number) => boolean = () => false,
  atLeastOne: readonly (readonly number[])[] = [],
): ProtectedCube {
  const lat = lattice(table);
  const equations = oneStepEquations(table, lat);
  const bound = lowerBounds(table, lat, atLeastOne);
  const all: Item[] = [...lat.groupings.values()].flatMap((g) => g.cells);
  for (const i of all) if (isPrimary(i.value, threshold)) i.suppressed = true;
  // Cells the public knows to be 0 anyway (e.g. a municipality-year that reported no actions) are
  // never withheld: withholding them would hide nothing, and the audit counts them as known.
  for (const [mask, g] of lat.groupings) {
    const cover = lat.members.get(mask) as number[][];
    g.cells.forEach((c, i) => {
      if (c.value === 0 && (cover[i] as number[]).every(knownZero)) c.notReported = true;
    });
  }
  const equationsOf = new Map<Item, Equation[]>();
  for (const eq of equations) {
    for (const m of [eq.total, ...eq.parts]) {
      const list = equationsOf.get(m);
      if (list) list.push(eq);
      else equationsOf.set(m, [eq]);
    }
  }
  let rounds = 0;
  for (;;) {
    suppress(all, equations, threshold);
    const pinned = pinnedByBounds(equations, bound);
    if (pinned.length > 0) {
      rounds += 1;
      for (const eq of pinned) {
        if (pinnedByBounds([eq], bound).length === 0) continue; // an earlier pick this round opened it
        let pick: Item | undefined;
        for (const p of eq.parts) if (!p.suppressed && !p.notReported && p.value > 0 && (!pick || p.value < pick.value)) pick = p;
        (pick ?? eq.total).suppressed = true;
      }
      continue;
    }
    const determined = determinedCells(table, lat.groupings, lat.members);
    if (determined.length === 0) break;
    rounds += 1;
    // One more published cell per determined cell: the smallest positive one that shares a
    // one-step equation with it (ties: first found), else any published cell in those equations.
    let added = 0;
    for (const { mask, cell } of determined) {
      const target = (lat.groupings.get(mask) as Grouping).cells[cell] as Item;
      if (!target.suppressed) continue;
      let pick: Item | undefined;
      for (const eq of equationsOf.get(target) ?? []) {
        for (const m of [eq.total, ...eq.parts]) {
          if (m.suppressed || m.notReported) continue;
          if (!pick || (m.value > 0 && (pick.value === 0 || m.value < pick.value))) pick = m;
        }
      }
      if (pick && !pick.suppressed) {
        pick.suppressed = true;
        added += 1;
      }
    }
    if (added === 0) {
      // Nothing left to hide next to them: hide everything not yet hidden (always safe).
      for (const i of all) if (!i.notReported) i.suppressed = true;
    }
  }
  return { groupings: lat.groupings, members: lat.members, auditRounds: rounds };
}

/** How much the public knows each cell holds at least: the `atLeastOne` groups wholly inside it, 1 each. */
function lowerBounds(table: BaseTable, lat: ReturnType<typeof lattice>, atLeastOne: readonly (readonly number[])[]): Map<Item, number> {
  const bound = new Map<Item, number>();
  for (const group of atLeastOne) {
    const first = group[0];
    if (first === undefined) continue;
    for (const g of lat.groupings.values()) {
      const cell = groupIndex(table.sizes, g.dims, lat.coords[first] as number[]);
      if (!group.every((b) => groupIndex(table.sizes, g.dims, lat.coords[b] as number[]) === cell)) continue;
      const item = g.cells[cell] as Item;
      bound.set(item, (bound.get(item) ?? 0) + 1);
    }
  }
  return bound;
}

/**
 * The equations with a published total whose withheld parts are pinned by their lower bounds: the
 * rest (total less the published parts) equals what the public knows they hold at least.
 */
function pinnedByBounds(equations: readonly Equation[], bound: ReadonlyMap<Item, number>): Equation[] {
  return equations.filter((eq) => {
    if (eq.total.suppressed) return false;
    let rest = eq.total.value;
    let atLeast = 0;
    let withheld = 0;
    for (const p of eq.parts) {
      if (p.suppressed) {
        withheld += 1;
        atLeast += bound.get(p) ?? 0;
      } else rest -= p.value;
    }
    return withheld > 0 && atLeast >= rest;
  });
}
