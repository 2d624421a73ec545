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
