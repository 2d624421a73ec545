import { ROLES } from './codes.js';
import type { InvalidParam } from './errors.js';

/**
 * An API client's role and municipality: an officer belongs to one municipality, the other roles to
 * none. Judged on the body as sent, so that it can be listed beside the schema's issues.
 */
export function checkApiClient(input: { role?: unknown; municipalityCode?: unknown }): InvalidParam[] {
  const issues: InvalidParam[] = [];
  const code = input.municipalityCode ?? null;
  if (input.role === 'officer' && !code) {
    issues.push({ name: 'municipalityCode', code: 'required_for_officer', reason: 'an officer belongs to one municipality' });
  }
  if (input.role !== 'officer' && (ROLES as readonly unknown[]).includes(input.role) && code) {
    issues.push({ name: 'municipalityCode', code: 'only_for_officer', reason: `an ${input.role} is not bound to a municipality` });
  }
  return issues;
}
