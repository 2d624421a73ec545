import type { InvalidParam } from './errors.js';

/**
 * A reporting attestation's own rules, judged on the body as sent (so that they can be listed beside
 * the schema's issues): its statement is about the records, never about people (no e-mail address,
 * BSN-like nine-digit number or phone number), and its year has begun on `today` (YYYY-MM-DD).
 */
export function checkAttestation(input: { statement?: unknown; year?: unknown }, today: string): InvalidParam[] {
  const issues: InvalidParam[] = [];
  if (typeof input.statement === 'string' && /@|\b\d{9}\b|\b0\d{9}\b|\+31/.test(input.statement)) {
    issues.push({
      name: 'statement',
      code: 'personal_data',
      reason: 'the statement looks like it holds personal data (an e-mail, a number); say it without',
    });
  }
  const thisYear = Number(today.slice(0, 4));
  if (typeof input.year === 'number' && input.year > thisYear) {
    issues.push({ name: 'year', code: 'in_future', reason: `a year can be attested once it has begun (now ${thisYear})` });
  }
  return issues;
}
