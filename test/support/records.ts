import { json, sample } from './basics.js';
import type { TestContext } from './helper.js';

type Auth = { authorization: string };
type Rec = Record<string, unknown> & { id: string; version: number };

/** Creates records through the API as an officer, failing loudly when set-up does not work. */
export function records(app: TestContext['app']) {
  async function post(url: string, auth: Auth, payload: unknown): Promise<Rec> {
    const res = await app.inject({ method: 'POST', url, headers: auth, payload: payload as Record<string, unknown> });
    if (res.statusCode !== 201) throw new Error(`set-up POST ${url} answered ${res.statusCode}: ${res.body}`);
    return json<Rec>(res);
  }
  return {
    establishment: (auth: Auth, municipalityCode = 'GM0363', over: Record<string, unknown> = {}) =>
      post('/v1/establishments', auth, sample.establishment(municipalityCode, over)),
    licence: (auth: Auth, establishmentId: string, over: Record<string, unknown> = {}) =>
      post(`/v1/establishments/${establishmentId}/licences`, auth, sample.licence(over)),
    /** A licence in force from `validFrom` to `validUntil` (null: open-ended), granted on its first day. */
    licenceValid: (auth: Auth, establishmentId: string, validFrom: string, validUntil: string | null, over: Record<string, unknown> = {}) =>
      post(
        `/v1/establishments/${establishmentId}/licences`,
        auth,
        sample.licence({ validFrom, validUntil, statusHistory: [{ status: 'granted', effectiveDate: validFrom }], ...over }),
      ),
    action: (auth: Auth, establishmentId: string, over: Record<string, unknown> = {}) =>
      post('/v1/enforcement-actions', auth, sample.action(establishmentId, over)),
  };
}
