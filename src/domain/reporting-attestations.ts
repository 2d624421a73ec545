import type { InvalidParam } from './errors.js';

/**
 * A reporting attestation's own rule, judged on the body as sent (so that it can be listed beside
 * the schema's issues): its year has begun on `today` (YYYY-MM-DD). That its statement names no
 * person is the rule of all free text (personal-data.ts), judged with the field.
 */
export function checkAttestation(input: { year?: unknown }, today: string): InvalidParam[] {
  const issues: InvalidParam[] = [];
  const thisYear = Number(today.slice(0, 4));
  if (typeof input.year === 'number' && input.year > thisYear) {
    issues.push({ name: 'year', code: 'in_future', reason: `a year can be attested once it has begun (now ${thisYear})` });
  }
  return issues;
}
