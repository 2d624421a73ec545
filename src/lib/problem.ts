import { STATUS_CODES } from 'node:http';

/** One entry of `invalidParams`: which input, which rule, in words. */
export interface InvalidParam {
  name: string;
  code: string;
  reason: string;
}

/** Problem types are stable URNs, so clients can switch on them. */
export const problemType = (slug: string) => `urn:nl:enforcement-registry:problem:${slug}`;

/**
 * An error that is answered as `application/problem+json` (RFC 9457).
 * Throw it anywhere below a route; the error handler turns it into the response.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  readonly code: string;
  readonly invalidParams: InvalidParam[] | undefined;
  readonly headers: Record<string, string>;

  constructor(o: {
    status: number;
    code: string;
    detail: string;
    title?: string;
    invalidParams?: InvalidParam[];
    headers?: Record<string, string>;
  }) {
    super(o.detail);
    this.status = o.status;
    this.code = o.code;
    this.title = o.title ?? STATUS_CODES[o.status] ?? 'Error';
    this.type = problemType(o.code);
    this.invalidParams = o.invalidParams;
    this.headers = o.headers ?? {};
  }
}

export const badRequest = (invalidParams: InvalidParam[], detail?: string) =>
  new HttpProblem({
    status: 400,
    code: 'invalid-input',
    title: 'Invalid input',
    detail:
      detail ?? `The request has ${invalidParams.length} invalid parameter${invalidParams.length === 1 ? '' : 's'}; see invalidParams.`,
    invalidParams,
  });

export const notFound = (what: string) => new HttpProblem({ status: 404, code: 'not-found', detail: `${what} was not found.` });

export const forbidden = (detail: string) => new HttpProblem({ status: 403, code: 'forbidden', detail });

export const conflict = (code: string, detail: string) => new HttpProblem({ status: 409, code, title: 'Conflict', detail });

/** Throws a 400 listing every issue, if there are any. */
export function assertNoInvalidParams(params: InvalidParam[]): void {
  if (params.length > 0) throw badRequest(params);
}
