import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, type Principal, type RequestContext, systemContext } from '../../src/application/context.js';
import type { Commands, Services } from '../../src/application/services.js';
import { EnforcementActionInput } from '../../src/http/schemas/enforcement-actions.js';
import { EstablishmentInput } from '../../src/http/schemas/establishments.js';
import { LicenceInput } from '../../src/http/schemas/licences.js';
import type { DemoData } from './demo-data.js';

/** An officer client the loader made: one per municipality of the data set. */
export interface DemoOfficer extends Principal {
  token: string;
}

/** What the loader wrote: counts, and the officer client of each municipality. */
export interface DemoLoaded {
  establishments: number;
  actions: number;
  /** Every change the commands made (each has its audit entry). */
  writes: number;
  officers: Map<string, DemoOfficer>;
}

/**
 * Loads the demo data in-process through the same commands the HTTP routes call, in bulk: each
 * municipality's records in one transaction (services.inOneTransaction), written by that
 * municipality's own officer client. Every record still goes through its command (tenant scope,
 * rules, version checks as If-Match would do them, audit entries), and the audit chain and the
 * statistics rollups are brought up to date at each commit, as for any write; only HTTP (parsing,
 * auth, serialisation) and a commit per record are skipped. Bodies pass the routes' own zod schemas
 * first, so the commands get what a route would hand them. Licences of some establishments are
 * registered after their actions, so the registry re-derives licenceStatus.
 */
export async function loadDemoData(services: Services, data: DemoData, reason = 'demo data set'): Promise<DemoLoaded> {
  const setUp = systemContext(reason);
  const loaded: DemoLoaded = { establishments: 0, actions: 0, writes: 0, officers: new Map() };
  const codes = [...new Set(data.establishments.map((e) => e.body.municipalityCode))];
  for (const code of codes) {
    const c = madeBy(
      await services.commands.apiClients.create(setUp, { name: `demo officer ${code}`, role: 'officer', municipalityCode: code }),
    );
    loaded.officers.set(code, { clientId: c.id, name: c.name, role: 'officer', municipalityCode: code, token: c.token });
  }
  for (const code of codes) {
    const officer = loaded.officers.get(code) as DemoOfficer;
    /** The officer, giving `why` as the audit reason (X-Audit-Reason over HTTP). */
    const as = (why: string | null = null): RequestContext => clientContext(officer, { requestId: null, reason: why });
    await services.inOneTransaction((commands) => loadMunicipality(commands, as, data, code, loaded));
  }
  return loaded;
}

/** One municipality's establishments, licences and actions, in the data set's order. */
async function loadMunicipality(
  commands: Commands,
  as: (why?: string | null) => RequestContext,
  data: DemoData,
  code: string,
  loaded: DemoLoaded,
): Promise<void> {
  const establishments = data.establishments.filter((e) => e.body.municipalityCode === code);
  const ids = new Map<string, string>();
  const addLicences = async (e: DemoData['establishments'][number]) => {
    for (const l of e.licences) {
      await commands.licences.create(as(), ids.get(e.ref) as string, LicenceInput.parse(l));
      loaded.writes += 1;
    }
  };
  for (const e of establishments) {
    ids.set(e.ref, madeBy(await commands.establishments.create(as(), EstablishmentInput.parse(e.body))).id);
    loaded.writes += 1;
    if (!e.licencesLate) await addLicences(e);
  }
  for (const a of data.actions) {
    const establishmentId = ids.get(a.establishmentRef);
    if (!establishmentId) continue; // another municipality's
    const input = (b: Record<string, unknown>) => EnforcementActionInput.parse({ ...b, establishmentId });
    let current = madeBy(await commands.enforcementActions.create(as(), input(a.body)));
    for (const c of a.corrections) {
      current =
        (await commands.enforcementActions.replace(as(`stage moved to ${c.stage}`), current.id, current.version, input(c))) ?? current;
    }
    if (a.deleteReason) await commands.enforcementActions.remove(as(a.deleteReason), current.id, current.version);
    loaded.writes += 1 + a.corrections.length + (a.deleteReason ? 1 : 0);
    loaded.actions += 1;
  }
  for (const e of establishments) if (e.licencesLate) await addLicences(e);
  loaded.establishments += establishments.length;
}
