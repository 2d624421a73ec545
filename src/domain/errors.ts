/**
 * What can go wrong in a command or a query, in the registry's own terms. The HTTP layer maps each
 * kind to one problem+json answer in one place (src/http/plugins/problems.ts); nothing below HTTP
 * knows about status codes.
 */

/** One broken rule: which input, which rule (a stable code), in words. */
export interface InvalidParam {
  name: string;
  code: string;
  reason: string;
}

export abstract class DomainError extends Error {}

/** The record does not exist, or the caller may not see it: the two are one answer. */
export class NotFound extends DomainError {
  constructor(readonly what: string) {
    super(`${what} was not found.`);
  }
}

/** The detail of a 400 that lists its invalid parameters: the one wording, for the domain's and the HTTP layer's. */
export const invalidParamsDetail = (count: number) =>
  `The request has ${count} invalid parameter${count === 1 ? '' : 's'}; see invalidParams.`;

/** The input breaks one or more rules; every one is listed. */
export class RuleViolation extends DomainError {
  constructor(
    readonly invalidParams: InvalidParam[],
    detail?: string,
  ) {
    super(detail ?? invalidParamsDetail(invalidParams.length));
  }
}

/** The caller's If-Match names another version than the stored one. */
export class VersionConflict extends DomainError {
  constructor(
    readonly what: string,
    readonly storedVersion: number,
    expectedVersion: number,
  ) {
    super(
      `${what} is at version ${storedVersion}, not ${expectedVersion}: it changed since you read it. Read it again and reapply your change.`,
    );
  }
}

/** The change conflicts with the registry's state (a taken number, a record still in use, …). */
export class Conflict extends DomainError {
  constructor(
    readonly code: string,
    detail: string,
    readonly extra: { retryAfterSeconds?: number; location?: string } = {},
  ) {
    super(detail);
  }
}

/** The caller is known, but its role or municipality does not allow this. */
export class Forbidden extends DomainError {}

/** An Idempotency-Key sent again with another request than the first. */
export class IdempotencyKeyReused extends DomainError {
  constructor() {
    super('This Idempotency-Key was already used for a different request (another path, query or body). Use a new key for a new request.');
  }
}

/** Throws a RuleViolation listing every issue, if there are any. */
export function assertNoInvalidParams(params: InvalidParam[]): void {
  if (params.length > 0) throw new RuleViolation(params);
}

/** This instance is stopping and will not finish the work asked for: another instance answers a retry. */
export class ShuttingDown extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}
