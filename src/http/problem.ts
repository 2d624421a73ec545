import { type InvalidParam, invalidParamsDetail } from '../domain/errors.js';

export type { InvalidParam };

/** The one table of problem titles (RFC 9110 reason phrases); a 400 that lists invalid parameters is titled INVALID_INPUT's 'Invalid input'. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const titleFor = (status: number) => TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');

/** Problem types are stable URNs, so clients can switch on them. */
export const problemType = (slug: string) => `urn:nl:enforcement-registry:problem:${slug}`;

/** The codes zod gives a value that is not there at all ("expected string, received undefined"; "Invalid option"): `required` when nothing was sent. */
export const ABSENT_CODES: ReadonlySet<string> = new Set(['invalid_type', 'invalid_value', 'invalid_union']);

/** Why a body field the schema does not have is refused. */
export const UNKNOWN_FIELD = 'this field is not part of the schema';

/** What a zod issue says, as both zod and fastify's validation entries carry it. */
export interface SchemaIssue {
  path: readonly (string | number | symbol)[];
  code: string;
  message: string;
  /** The keys of an `unrecognized_keys` issue. */
  keys?: readonly string[] | undefined;
  /** A refinement's params: `rule` names a domain rule run alongside the schema (src/http/schemas/rules.ts). */
  params?: { rule?: unknown } | undefined;
}

/**
 * zod issues → invalidParams entries, the one way every 400 names them: a field by its dotted path
 * (`fallback` for the whole part), an unknown key as `unknown_field` with `unknownReason`, a domain
 * rule by its own code.
 */
export function invalidParamsOf(issues: readonly SchemaIssue[], fallback: string, unknownReason: string): InvalidParam[] {
  const out: InvalidParam[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      // An empty key (`?=1`) is named so that it can be seen.
      for (const key of issue.keys) out.push({ name: [...path, key || '(empty)'].join('.'), code: 'unknown_field', reason: unknownReason });
      continue;
    }
    const rule = issue.code === 'custom' ? issue.params?.rule : undefined;
    out.push({ name: path.join('.') || fallback, code: typeof rule === 'string' ? rule : issue.code, reason: issue.message });
  }
  // One entry per field and code: zod checks an integer against the safe range and then against the
  // schema's own bound, two `too_big`s for one value; the later, the schema's, is the one that tells.
  const last = new Map(out.map((p, i) => [`${p.name}\u0000${p.code}`, i]));
  return out.filter((p, i) => last.get(`${p.name}\u0000${p.code}`) === i);
}

/**
 * An HTTP-level error (a missing token, a missing If-Match, …) answered as `application/problem+json`
 * (RFC 9457). Errors of the registry's own rules are domain errors (src/domain/errors.ts); the error
 * handler (plugins/problems.ts) turns both into the response.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
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
    this.title = o.title ?? titleFor(o.status);
    this.invalidParams = o.invalidParams;
    this.headers = o.headers ?? {};
  }
}

/** A 400 that lists invalid parameters: its code and title, the same wherever it is made. */
export const INVALID_INPUT = { status: 400, code: 'invalid-input', title: 'Invalid input' } as const;

export const badRequest = (invalidParams: InvalidParam[], detail?: string) =>
  new HttpProblem({ ...INVALID_INPUT, detail: detail ?? invalidParamsDetail(invalidParams.length), invalidParams });
