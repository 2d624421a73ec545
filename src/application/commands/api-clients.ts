import { randomBytes, randomUUID } from 'node:crypto';
import { checkApiClient } from '../../domain/api-clients.js';
import { assertNoInvalidParams, Conflict } from '../../domain/errors.js';
import type { ApiClient, ApiClientInput } from '../../domain/records.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  announceClientChange,
  findApiClient,
  findClientByTokenHash,
  hashToken,
  hasLiveAdmin,
  insertApiClient,
  lockBootstrapAdmin,
  serialiseBootstrap,
  updateApiClient,
} from '../../infrastructure/repositories/api-clients.js';
import type { TokenCache } from '../../infrastructure/token-cache.js';
import type { UnknownTokenCache } from '../../infrastructure/unknown-token-cache.js';
import type { Principal, RequestContext } from '../context.js';
import { toApiClient } from '../records.js';
import { assertMunicipalityRegistered } from './establishments.js';
import { type CommandRunner, createdRecord } from './run.js';

const newToken = () => `er_${randomBytes(32).toString('base64url')}`;

export const BOOTSTRAP_ADMIN_NAME = 'bootstrap-admin';

/** The bootstrap admin's configured token belongs to a revoked client: the operator must set a new one. */
export class BootstrapTokenRevoked extends Conflict {
  constructor() {
    super(
      'bootstrap-token-revoked',
      'REGISTRY_ADMIN_TOKEN belongs to an API client that was revoked; it stays revoked. Set a new REGISTRY_ADMIN_TOKEN (at least 32 characters) to register a new bootstrap admin.',
    );
  }
}

/** The bootstrap admin: made by no one (the service itself at start-up). */
const insertBootstrapAdmin = (tx: Tx, tokenHash: string) =>
  insertApiClient(tx, {
    id: randomUUID(),
    name: BOOTSTRAP_ADMIN_NAME,
    role: 'admin',
    municipalityCode: null,
    tokenHash,
    createdAt: new Date(),
    createdBy: null,
  });

/** API clients: registered and revoked by admins; the bootstrap admin comes from configuration. */
export function createApiClientCommands(runner: CommandRunner, tokens: TokenCache<Principal>, unknownTokens?: UnknownTokenCache) {
  function create(ctx: RequestContext, input: ApiClientInput) {
    const code = input.municipalityCode ?? null;
    assertNoInvalidParams(checkApiClient(input));
    return runner.create(ctx, async (tx) => {
      if (code) await assertMunicipalityRegistered(tx, code);
      const token = newToken();
      const row = await insertApiClient(tx, {
        id: randomUUID(),
        name: input.name,
        role: input.role,
        municipalityCode: code,
        tokenHash: hashToken(token),
        createdAt: new Date(),
        createdBy: ctx.actor.clientId,
      });
      const made = createdRecord('api_client', row.id, row.municipalityCode, toApiClient(row));
      return { ...made, value: { ...made.value, token } };
    });
  }

  /**
   * Revokes a client: its token is refused on this instance from the moment the revocation is
   * acknowledged, and on every other instance once the commit's notification reaches it.
   */
  async function revoke(ctx: RequestContext, id: string, expectedVersion: number): Promise<ApiClient> {
    const revoked = await runner.change(ctx, {
      objectType: 'api_client',
      objectId: id,
      what: `API client ${id}`,
      action: 'delete',
      expectedVersion,
      load: (tx) => findApiClient(tx, id, true),
      check: (_tx, current) => {
        if (current.revokedAt) throw new Conflict('already-revoked', `API client ${id} was revoked at ${current.revokedAt.toISOString()}.`);
      },
      write: async (tx, current) => {
        tokens.forgetClient(id); // look-ups under way now will not be cached
        await announceClientChange(tx, id); // other instances hear it at commit
        return updateApiClient(tx, id, { revokedAt: new Date(), version: current.version + 1 });
      },
      view: toApiClient,
      municipalityCode: (r) => r.municipalityCode,
    });
    tokens.forgetClient(id); // committed: whatever was cached in between goes too
    return revoked as ApiClient;
  }

  /**
   * Registers (or re-keys) the bootstrap admin from REGISTRY_ADMIN_TOKEN, so a fresh installation
   * has someone who can create the other clients. A token that was revoked stays revoked.
   */
  async function ensureBootstrapAdmin(ctx: RequestContext, token: string): Promise<void> {
    const tokenHash = hashToken(token);
    let rekeyed: string | null = null;
    await runner.run(ctx, async (tx) => {
      await serialiseBootstrap(tx);
      const holder = await findClientByTokenHash(tx, tokenHash);
      if (holder?.revokedAt) throw new BootstrapTokenRevoked();
      const current = await lockBootstrapAdmin(tx, BOOTSTRAP_ADMIN_NAME);
      if (current?.tokenHash === tokenHash) return { value: undefined, changes: [] };
      if (current) {
        rekeyed = current.id;
        tokens.forgetClient(current.id);
        await announceClientChange(tx, current.id);
        const row = await updateApiClient(tx, current.id, { tokenHash, version: current.version + 1 });
        return {
          value: undefined,
          changes: [
            {
              action: 'update',
              objectType: 'api_client',
              objectId: current.id,
              municipalityCode: null,
              before: toApiClient(current),
              after: toApiClient(row),
            },
          ],
        };
      }
      const row = await insertBootstrapAdmin(tx, tokenHash);
      return { ...createdRecord('api_client', row.id, null, toApiClient(row)), value: undefined };
    });
    if (rekeyed) tokens.forgetClient(rekeyed);
    unknownTokens?.clear(); // the configured token may have been looked up (and not found) before
  }

  /**
   * A first start without REGISTRY_ADMIN_TOKEN: when no admin is live (none was ever made, or every
   * one was revoked), registers the bootstrap admin with a new random token and returns it, the only
   * copy (stored hashed, like every token). Returns null when an admin exists: its token was shown
   * before. REGISTRY_ADMIN_TOKEN later re-keys this same bootstrap admin.
   */
  async function ensureFirstAdmin(ctx: RequestContext): Promise<{ id: string; token: string } | null> {
    return runner.run(ctx, async (tx) => {
      await serialiseBootstrap(tx);
      if (await hasLiveAdmin(tx)) return { value: null, changes: [] };
      const token = newToken();
      const row = await insertBootstrapAdmin(tx, hashToken(token));
      const made = createdRecord('api_client', row.id, null, toApiClient(row));
      return { ...made, value: { id: row.id, token } };
    });
  }

  return { create, revoke, ensureBootstrapAdmin, ensureFirstAdmin };
}
