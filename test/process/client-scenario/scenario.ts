/**
 * An integrator's scenario, written against the client generated from openapi/openapi.json
 * (openapi-typescript types + openapi-fetch). It must type-check with no casts and no `any`:
 * if the contract drifts from what this code expects, `tsc` fails before anything runs.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/api.js';

export type RegistryClient = Client<paths>;

export interface ScenarioInput {
  baseUrl: string;
  officerToken: string;
  fetch: (input: Request) => Promise<Response>;
}

export interface ScenarioResult {
  establishmentId: string;
  licenceId: string;
  actionIds: string[];
  listedActions: number;
  updatedStage: string;
  deleted: boolean;
  /** Counted actions of the scenario's municipality in 2018–2019, per licence status at decision. */
  counted: { licensed: number; unlicensed: number };
}

export const clientFor = (baseUrl: string, token: string, fetch: (input: Request) => Promise<Response>): RegistryClient =>
  createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${token}` }, fetch });

/** A response's headers as the document declares them for one answer of an operation. */
type Headers<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends { responses: infer R }
  ? S extends keyof R
    ? R[S] extends { headers: infer H }
      ? H
      : never
    : never
  : never;
/** The names a header object declares (its `[name: string]: unknown` left out). */
type Declared<H> = keyof { [K in keyof H as string extends K ? never : K]: H[K] } & string;

/** Reads a header by a name the document declares for this answer: one it drops or renames fails tsc here. */
function header<H>(response: Response, name: Declared<H>): string | null {
  return response.headers.get(name);
}

function fail(step: string, error: unknown): never {
  throw new Error(`${step} failed: ${JSON.stringify(error)}`);
}

export async function runScenario(input: ScenarioInput): Promise<ScenarioResult> {
  const api = clientFor(input.baseUrl, input.officerToken, input.fetch);

  const est = await api.POST('/establishments', {
    params: { header: { 'idempotency-key': `scenario-${Date.now()}` } },
    body: {
      municipalityCode: 'GM0363',
      name: 'Club Generated',
      kind: 'club',
      address: { street: 'Oudezijds Voorburgwal', houseNumber: 3, postalCode: '1012EH', city: 'Amsterdam' },
    },
  });
  if (!est.data) fail('create establishment', est.error);
  const establishmentId = est.data.id;
  const location = header<Headers<'/establishments', 'post', 201>>(est.response, 'Location');
  if (!location?.endsWith(`/establishments/${establishmentId}`)) fail('the Location of the establishment', location);

  const licence = await api.POST('/establishments/{id}/licences', {
    params: { path: { id: establishmentId } },
    body: {
      licenceNumber: 'EV-2017-042',
      validFrom: '2017-01-01',
      validUntil: '2018-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '2017-01-01' }],
    },
  });
  if (!licence.data) fail('create licence', licence.error);

  const actionIds: string[] = [];
  const licensedFine = await api.POST('/enforcement-actions', {
    body: {
      establishmentId,
      measure: 'administrative_fine',
      grounds: ['hygiene'],
      stage: 'decided',
      decisionDate: '2018-03-01',
      fine: { amountCents: 250_000 },
    },
  });
  if (!licensedFine.data) fail('create fine', licensedFine.error);
  actionIds.push(licensedFine.data.id);

  const unlicensedClosure = await api.POST('/enforcement-actions', {
    body: {
      establishmentId,
      measure: 'closure',
      grounds: ['unlicensed_operation'],
      stage: 'decided',
      decisionDate: '2019-06-01',
      closure: { startDate: '2019-06-15', endDate: null },
    },
  });
  if (!unlicensedClosure.data) fail('create closure', unlicensedClosure.error);
  actionIds.push(unlicensedClosure.data.id);

  const list = await api.GET('/enforcement-actions', { params: { query: { establishmentId, pageSize: 10 } } });
  if (!list.data) fail('list actions', list.error);
  const remaining = header<Headers<'/enforcement-actions', 'get', 200>>(list.response, 'X-RateLimit-Remaining');
  if (remaining === null) fail('the rate limit left', remaining);

  const current = await api.GET('/enforcement-actions/{id}', { params: { path: { id: licensedFine.data.id } } });
  if (!current.data) fail('read action', current.error);
  const etag = header<Headers<'/enforcement-actions/{id}', 'get', 200>>(current.response, 'ETag');
  if (etag !== `"${current.data.version}"`) fail('the ETag of the action', etag);
  const updated = await api.PUT('/enforcement-actions/{id}', {
    params: { path: { id: current.data.id }, header: { 'if-match': etag, 'x-audit-reason': 'objection lodged' } },
    body: {
      establishmentId,
      measure: current.data.measure,
      grounds: current.data.grounds,
      stage: 'objection',
      decisionDate: current.data.decisionDate,
      fine: current.data.fine,
    },
  });
  if (!updated.data) fail('update action', updated.error);

  const stale = await api.PUT('/enforcement-actions/{id}', {
    params: { path: { id: current.data.id }, header: { 'if-match': etag } },
    body: {
      establishmentId,
      measure: current.data.measure,
      grounds: current.data.grounds,
      stage: 'appeal',
      decisionDate: current.data.decisionDate,
      fine: current.data.fine,
    },
  });
  if (stale.response.status !== 412 || !stale.error) fail('stale update must be 412', stale.response.status);
  const currentTag = header<Headers<'/enforcement-actions/{id}', 'put', 412>>(stale.response, 'ETag');
  if (currentTag !== `"${updated.data.version}"`) fail('the 412 names the current version', currentTag);

  const removed = await api.DELETE('/enforcement-actions/{id}', {
    params: {
      path: { id: unlicensedClosure.data.id },
      header: { 'if-match': `"${unlicensedClosure.data.version}"`, 'x-audit-reason': 'recorded in error' },
    },
  });
  if (removed.error) fail('delete action', removed.error);

  const figures = await api.GET('/statistics/enforcement-actions', {
    params: { query: { groupBy: ['licenceStatus'], yearFrom: 2018, yearTo: 2019 } },
  });
  if (!figures.data) fail('read statistics', figures.error);
  // The operation also offers text/csv; without that Accept header the answer is JSON.
  if (typeof figures.data === 'string') fail('read statistics in JSON', figures.data);
  const table = figures.data;
  const countOf = (status: 'licensed' | 'unlicensed') =>
    table.items.filter((row) => row.licenceStatus === status).reduce((sum, row) => sum + row.actions, 0);

  return {
    establishmentId,
    licenceId: licence.data.id,
    actionIds,
    listedActions: list.data.totalItems,
    updatedStage: updated.data.stage,
    deleted: removed.response.status === 204,
    counted: { licensed: countOf('licensed'), unlicensed: countOf('unlicensed') },
  };
}
