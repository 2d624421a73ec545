/**
 * An integrator's scenario against the SDK that @hey-api/openapi-ts generates from
 * openapi/openapi.json (a second generator beside openapi-typescript). It must type-check with no
 * casts and no `any`: create, patch, link a zaak, list by the link, statistics.
 */
import { createClient, createConfig } from './generated/client/index.js';
import {
  createEnforcementAction,
  createEstablishment,
  getEnforcementActionStatistics,
  listEnforcementActions,
  patchEnforcementAction,
} from './generated/sdk.gen.js';

export interface HeyScenarioInput {
  baseUrl: string;
  /** An officer's OpenID Connect token (a user token). */
  officerToken: string;
  /** An analyst's OpenID Connect token (a system token). */
  analystToken: string;
  zaakUrl: string;
}

export interface HeyScenarioResult {
  actionId: string;
  stage: string;
  zaakUrl: string | null;
  listedByZaak: number;
  /** Actions of 2019 per licence status, from the statistics grouped by year and licence status. */
  counted: { year: number; licenceStatus: string; actions: number }[];
}

function fail(step: string, error: unknown): never {
  throw new Error(`${step} failed: ${JSON.stringify(error)}`);
}

export async function runHeyScenario(input: HeyScenarioInput): Promise<HeyScenarioResult> {
  const officer = createClient(createConfig({ baseUrl: input.baseUrl, headers: { authorization: `Bearer ${input.officerToken}` } }));
  const analyst = createClient(createConfig({ baseUrl: input.baseUrl, headers: { authorization: `Bearer ${input.analystToken}` } }));

  const est = await createEstablishment({
    client: officer,
    headers: { 'idempotency-key': `hey-${Date.now()}` },
    body: {
      municipalityCode: 'GM0363',
      name: 'Club Noord',
      kind: 'club',
      address: { street: 'Nieuwendijk', houseNumber: 7, postalCode: '1012MA', city: 'Amsterdam' },
    },
  });
  if (!est.data) fail('create establishment', est.error);

  const created = await createEnforcementAction({
    client: officer,
    body: {
      establishmentId: est.data.id,
      measure: 'administrative_fine',
      grounds: ['unlicensed_operation'],
      stage: 'decided',
      decisionDate: '2019-05-01',
      fine: { amountCents: 500_000 },
      legalBasis: 'APV Amsterdam art. 3.27',
    },
  });
  if (!created.data) fail('create action', created.error);
  const etag = created.response.headers.get('etag') ?? '';

  // Into objection (bezwaar): a merge patch with only the stage.
  const moved = await patchEnforcementAction({
    client: officer,
    path: { id: created.data.id },
    headers: { 'if-match': etag },
    body: { stage: 'objection' },
  });
  if (!moved.data) fail('patch stage', moved.error);

  // Link its zaak in the Zaken API.
  const linked = await patchEnforcementAction({
    client: officer,
    path: { id: created.data.id },
    headers: { 'if-match': moved.response.headers.get('etag') ?? '' },
    body: { zaakUrl: input.zaakUrl },
  });
  if (!linked.data) fail('link zaak', linked.error);

  const listed = await listEnforcementActions({ client: officer, query: { zaakUrl: input.zaakUrl } });
  if (!listed.data) fail('list by zaak', listed.error);

  const figures = await getEnforcementActionStatistics({
    client: analyst,
    query: { yearFrom: 2019, yearTo: 2019, municipalityCode: ['GM0363'], groupBy: ['year', 'licenceStatus'] },
  });
  if (!figures.data) fail('statistics', figures.error);

  return {
    actionId: linked.data.id,
    stage: linked.data.stage,
    zaakUrl: linked.data.zaakUrl,
    listedByZaak: listed.data.totalItems,
    counted: figures.data.items.map((i) => ({ year: i.year ?? 0, licenceStatus: i.licenceStatus ?? '', actions: i.actions })),
  };
}
