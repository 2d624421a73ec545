import type { App } from '../../src/app.js';
import type { DemoData } from './demo-data.js';

type Headers = Record<string, string>;

/**
 * Loads the demo data through the HTTP API (app.inject), as each municipality's officer client
 * would: establishments, licences, actions, stage moves (PUT with If-Match), deletions. Licences of
 * some establishments come after their actions, so the registry re-derives licenceStatus.
 */
export async function loadDemoData(app: App, officerHeaders: (municipalityCode: string) => Headers, data: DemoData) {
  const call = async (
    method: 'POST' | 'PUT' | 'DELETE',
    url: string,
    headers: Headers,
    payload?: unknown,
    expected = method === 'POST' ? 201 : method === 'PUT' ? 200 : 204,
  ) => {
    const res = await app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    if (res.statusCode !== expected) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.statusCode === 204 ? null : (JSON.parse(res.body) as { id: string; version: number });
  };
  const ids = new Map<string, { id: string; municipalityCode: string }>();
  const addLicences = async (e: DemoData['establishments'][number]) => {
    const id = (ids.get(e.ref) as { id: string }).id;
    for (const l of e.licences) await call('POST', `/v1/establishments/${id}/licences`, officerHeaders(e.body.municipalityCode), l);
  };
  for (const e of data.establishments) {
    const created = (await call('POST', '/v1/establishments', officerHeaders(e.body.municipalityCode), e.body)) as { id: string };
    ids.set(e.ref, { id: created.id, municipalityCode: e.body.municipalityCode });
    if (!e.licencesLate) await addLicences(e);
  }
  let n = 0;
  for (const a of data.actions) {
    const est = ids.get(a.establishmentRef) as { id: string; municipalityCode: string };
    const h = officerHeaders(est.municipalityCode);
    let current = (await call('POST', '/v1/enforcement-actions', h, { ...a.body, establishmentId: est.id })) as {
      id: string;
      version: number;
    };
    for (const c of a.corrections) {
      current = (await call(
        'PUT',
        `/v1/enforcement-actions/${current.id}`,
        { ...h, 'if-match': `"${current.version}"`, 'x-audit-reason': `stage moved to ${c.stage}` },
        {
          ...c,
          establishmentId: est.id,
        },
      )) as { id: string; version: number };
    }
    if (a.deleteReason) {
      await call('DELETE', `/v1/enforcement-actions/${current.id}`, {
        ...h,
        'if-match': `"${current.version}"`,
        'x-audit-reason': a.deleteReason,
      });
    }
    n += 1;
  }
  for (const e of data.establishments) if (e.licencesLate) await addLicences(e);
  return { establishments: ids.size, actions: n };
}
