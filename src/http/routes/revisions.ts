import type { z } from 'zod';
import { Revised } from '../../application/commands/run.js';
import { type InvalidParam, RuleViolation } from '../../domain/errors.js';
import { mergePatch } from '../../lib/merge-patch.js';
import { invalidParamsOf, UNKNOWN_FIELD } from '../problem.js';

/**
 * How a PUT body and a PATCH body become a record's new content, worked out against the stored
 * record inside the update's transaction (src/application/commands/run.ts `Revision`).
 */

type Fields = Record<string, unknown>;

/** A UTC timestamp as the contract writes it (any number of fractional digits). */
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;

/**
 * A value as read-only fields compare it: a timestamp as the instant it names, to the last digit
 * sent (`…09.511000Z` is `…09.511Z`; `…09.5111Z` is another instant), everything else as it is.
 */
function comparable(value: unknown): string {
  const text = value instanceof Date ? value.toISOString() : value;
  const stamp = typeof text === 'string' ? TIMESTAMP.exec(text) : null;
  return stamp ? `${stamp[1]}.${(stamp[2] ?? '').replace(/0+$/, '')}Z` : JSON.stringify(text);
}

/** Read-only fields sent with another value than the stored one: each an invalidParams entry. */
function readOnlyIssues(body: Fields, current: Fields, readOnly: readonly string[]): InvalidParam[] {
  return readOnly
    .filter((k) => body[k] !== undefined && comparable(body[k]) !== comparable(current[k]))
    .map((k) => ({ name: k, code: 'read_only', reason: `read-only: the stored value is ${JSON.stringify(current[k])}` }));
}

function withoutReadOnly<B extends Fields, K extends string>(body: B, readOnly: readonly K[]): Omit<B, K> {
  const out: Fields = { ...body };
  for (const k of readOnly) delete out[k];
  return out as Omit<B, K>;
}

/** What a revision answers: the new content, with the read-only fields sent with another value (listed with the record's rules). */
const revised = <T>(input: T, issues: InvalidParam[]): T | Revised<T> => (issues.length > 0 ? new Revised(input, issues) : input);

/** A PUT body: the whole record; read-only fields may come back as read, and are then dropped. */
export const replacement =
  <B extends Fields, K extends keyof B & string>(body: B, readOnly: readonly K[]) =>
  (current: object): Omit<B, K> | Revised<Omit<B, K>> =>
    revised(withoutReadOnly(body, readOnly), readOnlyIssues(body, current as Fields, readOnly));

/**
 * A PATCH body (RFC 7396): merged onto the stored record as the API shows it, then validated as a
 * whole by the PUT's schema (every error listed together), then as a PUT.
 */
export const mergePatched =
  <S extends z.ZodType<Fields>, K extends keyof z.output<S> & string>(schema: S, patch: Fields, readOnly: readonly K[]) =>
  (current: object): Omit<z.output<S>, K> | Revised<Omit<z.output<S>, K>> => {
    const merged = mergePatch(current, patch) as Fields;
    const parsed = schema.safeParse(merged);
    const readOnlyChanged = readOnlyIssues(merged, current as Fields, readOnly);
    if (!parsed.success) throw new RuleViolation([...invalidParamsOf(parsed.error.issues, 'body', UNKNOWN_FIELD), ...readOnlyChanged]);
    return revised(withoutReadOnly(parsed.data, readOnly), readOnlyChanged);
  };
