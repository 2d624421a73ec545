import { sql } from 'drizzle-orm';
import type { OpenDataDimension } from '../domain/statistics.js';
import type { Database } from '../infrastructure/db/client.js';
import { inTenant } from '../infrastructure/db/tenant.js';
import { type IdempotencyClaim, purgeExpiredIdempotencyKeys, recordFinalResponse } from '../infrastructure/idempotency.js';
import { statisticsRepository } from '../infrastructure/repositories/statistics.js';
import { TokenCache } from '../infrastructure/token-cache.js';
import { createApiClientCommands } from './commands/api-clients.js';
import { createEnforcementActionCommands } from './commands/enforcement-actions.js';
import { createEstablishmentCommands } from './commands/establishments.js';
import { createLicenceCommands } from './commands/licences.js';
import { createMunicipalityCommands } from './commands/municipalities.js';
import { type CommandRunner, type CommitHook, createCommandRunner } from './commands/run.js';
import type { Principal, RequestContext } from './context.js';
import { createApiClientQueries } from './queries/api-clients.js';
import { createAuditTrailQueries } from './queries/audit-trail.js';
import { createEnforcementActionQueries } from './queries/enforcement-actions.js';
import { createEstablishmentQueries } from './queries/establishments.js';
import { createLicenceQueries } from './queries/licences.js';
import { createMunicipalityQueries } from './queries/municipalities.js';
import { createReader } from './queries/read.js';
import { openDataTable } from './statistics/open-data.js';
import { createStatisticsService } from './statistics/statistics.js';

export interface ServiceOptions {
  /** How long an authenticated token is trusted without asking the database again (0: never). */
  authCacheTtlMs: number;
  /** Open data: counts below this are suppressed. */
  suppressionThreshold: number;
  /** Work that commits with every write (see CommitHook). */
  commitHooks?: readonly CommitHook[];
}

/** Every write of the application, through one command runner. */
function createCommands(runner: CommandRunner, tokens: TokenCache<Principal>) {
  return {
    municipalities: createMunicipalityCommands(runner),
    apiClients: createApiClientCommands(runner, tokens),
    establishments: createEstablishmentCommands(runner),
    licences: createLicenceCommands(runner),
    enforcementActions: createEnforcementActionCommands(runner),
  };
}

export type Commands = ReturnType<typeof createCommands>;

/**
 * The application, built once on an opened database: every write (commands), every read
 * (queries), the statistics. The HTTP layer, the CLIs and the tests all use this one object.
 */
export function createServices(database: Database, options: ServiceOptions) {
  const tokens = new TokenCache<Principal>(options.authCacheTtlMs);
  const hooks = options.commitHooks ?? [];
  const read = createReader(database);
  const statistics = createStatisticsService(read);
  return {
    commands: createCommands(createCommandRunner(database, hooks), tokens),
    /**
     * Many commands as one unit, for the service's own bulk work (the demo, an import), never for
     * requests: `work` gets the same commands, and each still runs all its steps (its tenant scope,
     * rules, version check, audit entries, commit hooks), but inside one shared transaction instead
     * of one each. The audit chain and the statistics rollups are brought up to date at its COMMIT,
     * as for any write, so they stay exact. Everything commits together, or nothing does: the first
     * failing command aborts the whole unit.
     */
    inOneTransaction: <T>(work: (commands: Commands) => Promise<T>): Promise<T> =>
      database.db.transaction((tx) =>
        work(
          createCommands(
            createCommandRunner(database, hooks, (scope, fn) => inTenant(tx, scope, fn)),
            tokens,
          ),
        ),
      ),
    queries: {
      municipalities: createMunicipalityQueries(read),
      apiClients: createApiClientQueries(database, read, tokens),
      establishments: createEstablishmentQueries(read),
      licences: createLicenceQueries(read),
      enforcementActions: createEnforcementActionQueries(read),
      auditTrail: createAuditTrailQueries(read),
    },
    statistics: {
      ...statistics,
      openData: (groupBy: OpenDataDimension[]) => openDataTable(statistics, read, groupBy, options.suppressionThreshold),
      suppressionThreshold: options.suppressionThreshold,
      /** CBS code → name, for CSV columns. */
      municipalityNames: async (ctx: RequestContext) =>
        new Map((await read.list(ctx, (tx) => statisticsRepository.municipalities(tx))).map((m) => [m.code, m.name])),
    },
    idempotency: {
      /** After the response is serialised: the exact bytes replace the ones derived in the transaction, if they differ. */
      recordFinalResponse: (claim: IdempotencyClaim, status: number, payload: string, headers: Record<string, string>) =>
        recordFinalResponse(database.db, claim, status, payload, headers),
      purgeExpired: () => purgeExpiredIdempotencyKeys(database.db),
    },
    /** Readiness: can the database answer? */
    ping: async () => {
      await database.db.execute(sql`select 1`);
      return database.kind;
    },
    database,
  };
}

export type Services = ReturnType<typeof createServices>;
