import { HttpProblem } from '../lib/problem.js';

export interface PageRequest {
  page: number;
  pageSize: number;
}

/** Optimistic concurrency: the caller's If-Match must name the stored version. */
export function assertVersion(what: string, stored: number, expected: number): void {
  if (stored !== expected) {
    throw new HttpProblem({
      status: 412,
      code: 'version-mismatch',
      title: 'Precondition Failed',
      detail: `${what} is at version ${stored}, not ${expected}: it changed since you read it. Read it again and reapply your change.`,
      headers: { ETag: `"${stored}"` },
    });
  }
}
