import { type Constraint, solve } from 'yalps';
import type { PublishedCell } from './linear-audit.js';

/**
 * An attacker who also uses bounds, written apart from src/domain/joint-suppression.ts: every count is
 * a whole number of at least 0, and each `atLeastOne` group of base cells holds at least 1 (a
 * municipality-year the public reporting list shows with actions). For each withheld cell it asks an
 * integer program (yalps) for the least and the most that cell can hold while every published cell
 * keeps its value; a cell whose least is its most is pinned. For small tables (tests).
 */
export function pinnedCells(base: number, cells: PublishedCell[], atLeastOne: readonly (readonly number[])[]): PublishedCell[] {
  const constraints = new Map<string, Constraint>();
  const coefficients = Array.from({ length: base }, () => new Map<string, number>());
  cells.forEach((c, i) => {
    if (c.value === null) return;
    constraints.set(`p${i}`, { equal: c.value });
    for (const b of c.members) coefficients[b]?.set(`p${i}`, 1);
  });
  atLeastOne.forEach((g, i) => {
    constraints.set(`g${i}`, { min: 1 });
    for (const b of g) coefficients[b]?.set(`g${i}`, 1);
  });
  const extreme = (cell: PublishedCell, direction: 'minimize' | 'maximize'): number => {
    const members = new Set(cell.members);
    const variables = coefficients.map((row, b) => [`x${b}`, members.has(b) ? new Map([...row, ['target', 1]]) : row] as const);
    const solution = solve({ direction, objective: 'target', constraints, variables, integers: true });
    if (solution.status === 'unbounded') return Number.POSITIVE_INFINITY; // no published cell caps it
    if (solution.status !== 'optimal') throw new Error(`the attacker's program is ${solution.status}`);
    return Math.round(solution.result);
  };
  return cells.filter((c) => c.value === null && extreme(c, 'minimize') === extreme(c, 'maximize'));
}
