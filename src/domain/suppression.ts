/**
 * Statistical disclosure control for published tables (open data): primary suppression of small
 * counts and secondary (complementary) suppression so that no published total or marginal gives
 * a suppressed value away by subtraction.
 *
 * The table: cells (one per combination of the grouped dimensions), a marginal per value of each
 * dimension (the sum over all other dimensions), and the grand total. Every marginal is the sum of
 * its cells, and the grand total is the sum of each dimension's marginals. Rule: in every such
 * equation either nothing is suppressed or at least two members are; one suppressed member alone
 * could be recovered as total minus the rest.
 */
export interface Item {
  value: number;
  suppressed: boolean;
  /** Not reported: shown without a value, but known to be 0 (it adds nothing to totals). */
  notReported?: boolean;
}

/** One equation: `total` = sum of `parts`. */
export interface Equation {
  total: Item;
  parts: Item[];
}

/** A count from 1 up to (not including) the threshold is suppressed; 0 and larger counts are not. */
export const isPrimary = (value: number, threshold: number) => value > 0 && value < threshold;

/**
 * Applies primary then secondary suppression in place. When an equation has exactly one suppressed
 * member, the smallest non-zero published part is suppressed too (ties: first in order), else the
 * total, else a zero part; repeated until every equation is safe. Deterministic for the same table.
 */
export function suppress(items: Item[], equations: Equation[], threshold: number): void {
  for (const i of items) if (isPrimary(i.value, threshold)) i.suppressed = true;
  const hidden = (i: Item) => i.suppressed || i.notReported === true;
  // Which equations each item is in, and how many suppressed members each equation has: a newly
  // suppressed item only re-opens its own equations, so large tables stay cheap.
  const memberOf = new Map<Item, number[]>();
  const counts = equations.map((eq, e) => {
    let n = 0;
    for (const m of [eq.total, ...eq.parts]) {
      const list = memberOf.get(m);
      if (list) list.push(e);
      else memberOf.set(m, [e]);
      if (m.suppressed) n += 1;
    }
    return n;
  });
  const queue = equations.map((_, e) => e);
  for (let next = 0; next < queue.length; next++) {
    const e = queue[next] as number;
    if (counts[e] !== 1) continue;
    const eq = equations[e] as Equation;
    let pick: Item | undefined;
    for (const p of eq.parts) if (!hidden(p) && p.value > 0 && (!pick || p.value < pick.value)) pick = p;
    if (!pick && !eq.total.suppressed) pick = eq.total;
    if (!pick) pick = eq.parts.find((p) => !hidden(p));
    if (!pick) continue;
    pick.suppressed = true;
    for (const other of memberOf.get(pick) ?? []) {
      counts[other] = (counts[other] as number) + 1;
      queue.push(other);
    }
  }
}
