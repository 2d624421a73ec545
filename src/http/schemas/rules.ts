import type { z } from 'zod';
import type { InvalidParam } from '../../domain/errors.js';

/**
 * Lets a body's cross-field rules (src/domain) be listed together with its schema issues, so a
 * client sees every invalid field at once. The rules run here only when the schema already
 * failed; a body that passes the schema is checked by its command or query (src/application),
 * which also has the database at hand. Each issue carries its rule code in `params.rule` (see
 * plugins/problems.ts).
 */
export function alongsideSchemaIssues<T extends z.ZodType>(schema: T, rules: (body: Record<string, unknown>) => InvalidParam[]): T {
  return schema.superRefine(
    (value, ctx) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      for (const p of rules(value as Record<string, unknown>)) {
        ctx.addIssue({
          code: 'custom',
          path: p.name.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
          message: p.reason,
          params: { rule: p.code },
        });
      }
    },
    { when: (payload) => payload.issues.length > 0 },
  ) as T;
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** A range end as a comparable number: a year as it is, a date or timestamp as its moment. */
const position = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : Number.NaN);

/**
 * A list query's ranges, each given as `[from, to]` keys: a `to` before its `from` is an
 * invalidParams entry at `to` with the code `before_<from>` (`before_decision_date_from`), as the
 * statistics filters answer it, not an empty page. Judged when both ends are valid, beside any
 * other issue of the query.
 */
export function orderedRanges<T extends z.ZodObject>(query: T, ...ranges: [from: string, to: string][]): T {
  return query.superRefine(
    (value, ctx) => {
      const v = value as Record<string, unknown>;
      for (const [from, to] of ranges) {
        if (position(v[to]) < position(v[from])) {
          ctx.addIssue({ code: 'custom', path: [to], message: `${to} is before ${from}`, params: { rule: `before_${snakeCase(from)}` } });
        }
      }
    },
    // Run beside the query's other issues, but only over ends that are themselves valid.
    { when: (payload) => !payload.issues.some((i) => ranges.some((r) => r.includes(String(i.path?.[0])))) },
  ) as T;
}
