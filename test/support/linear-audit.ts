/**
 * An attacker's view of published tables, written independently of src/domain/joint-suppression.ts:
 * dense exact rational linear algebra (bigint fractions) over ALL base cells.
 *
 * Every published cell of every grouping gives an equation "sum of its base cells = value"; a
 * published 0 also says that each of its base cells is 0 (counts are not negative). A suppressed
 * cell is recoverable exactly when its vector over the base cells lies in the row space of those
 * equations (then it is a fixed linear combination of published values).
 */

export interface PublishedCell {
  /** Indices of the base cells it sums. */
  members: number[];
  /** null: suppressed (or otherwise withheld). */
  value: number | null;
}

type Frac = { n: bigint; d: bigint };
const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b) [a, b] = [b, a % b];
  return a;
};
const norm = (n: bigint, d: bigint): Frac => {
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
};
const sub = (a: Frac, b: Frac): Frac => norm(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Frac, b: Frac): Frac => norm(a.n * b.n, a.d * b.d);
const div = (a: Frac, b: Frac): Frac => norm(a.n * b.d, a.d * b.n);
const ZERO: Frac = { n: 0n, d: 1n };

/** Reduced row echelon form over the rationals (dense); returns the non-zero rows with their pivots. */
function rref(rows: Frac[][], width: number): { pivots: number[]; rows: Frac[][] } {
  const m = rows.map((r) => r.slice());
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < width && r < m.length; c++) {
    let p = -1;
    for (let i = r; i < m.length; i++)
      if ((m[i] as Frac[])[c]?.n !== 0n) {
        p = i;
        break;
      }
    if (p < 0) continue;
    [m[r], m[p]] = [m[p] as Frac[], m[r] as Frac[]];
    const pr = m[r] as Frac[];
    const lead = pr[c] as Frac;
    for (let j = 0; j < width; j++) pr[j] = div(pr[j] as Frac, lead);
    for (let i = 0; i < m.length; i++) {
      if (i === r) continue;
      const row = m[i] as Frac[];
      const f = row[c] as Frac;
      if (f.n === 0n) continue;
      for (let j = 0; j < width; j++) row[j] = sub(row[j] as Frac, mul(f, pr[j] as Frac));
    }
    pivots.push(c);
    r++;
  }
  return { pivots, rows: m.slice(0, r) };
}

/** Is `v` (dense) in the row space of the RREF? Reduce it by every pivot row. */
function inRowSpace(basis: { pivots: number[]; rows: Frac[][] }, v: Frac[]): boolean {
  const x = v.slice();
  basis.pivots.forEach((c, i) => {
    const f = x[c] as Frac;
    if (f.n === 0n) return;
    const row = basis.rows[i] as Frac[];
    for (let j = 0; j < x.length; j++) x[j] = sub(x[j] as Frac, mul(f, row[j] as Frac));
  });
  return x.every((f) => f.n === 0n);
}

/**
 * Withheld cells (their index in `cells`) that the published cells determine exactly. Base cells
 * known outright (published on their own, or inside a published 0) are substituted first: a unit
 * row in the system, so leaving their columns out changes no answer and keeps the matrix small.
 */
export function recoverableCells(baseCount: number, cells: PublishedCell[]): number[] {
  const known = new Set<number>();
  for (const c of cells) {
    if (c.value === null) continue;
    if (c.members.length === 1) known.add(c.members[0] as number);
    if (c.value === 0) for (const b of c.members) known.add(b);
  }
  const column = new Map<number, number>();
  for (let b = 0; b < baseCount; b++) if (!known.has(b)) column.set(b, column.size);
  const width = column.size;
  const one: Frac = { n: 1n, d: 1n };
  const vec = (members: number[]) => {
    const v = Array.from({ length: width }, () => ZERO);
    for (const b of members) {
      const c = column.get(b);
      if (c !== undefined) v[c] = one;
    }
    return v;
  };
  const equations: Frac[][] = [];
  for (const c of cells) if (c.value !== null) equations.push(vec(c.members));
  const basis = rref(equations, width);
  const out: number[] = [];
  cells.forEach((c, i) => {
    if (c.value === null && inRowSpace(basis, vec(c.members))) out.push(i);
  });
  return out;
}
