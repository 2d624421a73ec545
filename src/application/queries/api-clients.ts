import type { ApiClient, Page, PageRequest } from '../../domain/records.js';
import type { Database } from '../../infrastructure/db/client.js';
import { findApiClient, findLiveClientByTokenHash, hashToken, listApiClients } from '../../infrastructure/repositories/api-clients.js';
import type { TokenCache } from '../../infrastructure/token-cache.js';
import type { UnknownTokenCache } from '../../infrastructure/unknown-token-cache.js';
import type { Principal, RequestContext } from '../context.js';
import { toApiClient } from '../records.js';
import type { Reader } from './read.js';

export function createApiClientQueries(database: Database, read: Reader, tokens: TokenCache<Principal>, unknown: UnknownTokenCache) {
  /**
   * The live client holding this token, or null (cached briefly: see TokenCache). It runs before
   * there is a request context: api_clients holds no municipality's records, so no tenant scope.
   * A token the database did not know a moment ago is refused from memory (UnknownTokenCache).
   * `cachedOnly`: answer from memory only, never asking the database (for an address that has
   * failed too often: its clients verified recently still pass, guesses cost nothing).
   */
  async function authenticate(token: string, cachedOnly = false): Promise<Principal | null> {
    const tokenHash = hashToken(token);
    const cached = tokens.get(tokenHash);
    if (cached) return cached;
    if (cachedOnly || unknown.has(tokenHash)) return null;
    const generation = tokens.generation();
    const unknownGeneration = unknown.generation();
    const row = await findLiveClientByTokenHash(database.db, tokenHash);
    if (!row) {
      unknown.add(tokenHash, unknownGeneration);
      return null;
    }
    const principal: Principal = {
      clientId: row.id,
      name: row.name,
      role: row.role as Principal['role'],
      municipalityCode: row.municipalityCode,
    };
    tokens.set(tokenHash, principal, generation);
    return principal;
  }

  const list = (ctx: RequestContext, page: PageRequest): Promise<Page<ApiClient>> =>
    read.page(ctx, (tx) => listApiClients(tx, page), toApiClient);

  const get = (ctx: RequestContext, id: string): Promise<ApiClient> =>
    read.record(ctx, `API client ${id}`, (tx) => findApiClient(tx, id), toApiClient);

  return { authenticate, list, get };
}
