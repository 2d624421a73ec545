import { NotFound } from '../../domain/errors.js';
import type { ApiClient, Page, PageRequest } from '../../domain/records.js';
import type { Database } from '../../infrastructure/db/client.js';
import { findApiClient, findLiveClientByTokenHash, listApiClients } from '../../infrastructure/repositories/api-clients.js';
import type { TokenCache } from '../../infrastructure/token-cache.js';
import { hashToken } from '../commands/api-clients.js';
import type { Principal, RequestContext } from '../context.js';
import { toApiClient } from '../records.js';
import type { Reader } from './read.js';

export function createApiClientQueries(database: Database, read: Reader, tokens: TokenCache<Principal>) {
  /**
   * The live client holding this token, or null (cached briefly: see TokenCache). It runs before
   * there is a request context: api_clients holds no municipality's records, so no tenant scope.
   */
  async function authenticate(token: string): Promise<Principal | null> {
    const tokenHash = hashToken(token);
    const cached = tokens.get(tokenHash);
    if (cached) return cached;
    const generation = tokens.generation();
    const row = await findLiveClientByTokenHash(database.db, tokenHash);
    if (!row) return null;
    const principal: Principal = {
      clientId: row.id,
      name: row.name,
      role: row.role as Principal['role'],
      municipalityCode: row.municipalityCode,
    };
    tokens.set(tokenHash, principal, generation);
    return principal;
  }

  async function list(ctx: RequestContext, page: PageRequest): Promise<Page<ApiClient>> {
    const { rows, totalItems } = await read.list(ctx, (tx) => listApiClients(tx, page));
    return { items: rows.map(toApiClient), totalItems };
  }

  async function get(ctx: RequestContext, id: string): Promise<ApiClient> {
    const row = await read.one(ctx, (tx) => findApiClient(tx, id));
    if (!row) throw new NotFound(`API client ${id}`);
    return toApiClient(row);
  }

  return { authenticate, list, get };
}
