import { sql } from 'drizzle-orm';
import type { SigningKey } from '../infrastructure/audit/checkpoints.js';
import { createAdmission } from '../infrastructure/db/admission.js';
import type { Database, Tx } from '../infrastructure/db/client.js';
import { retryOnConflict } from '../infrastructure/db/errors.js';
import { inTenant, withTenant } from '../infrastructure/db/tenant.js';
import { type IdempotencyClaim, purgeExpiredIdempotencyKeys, recordFinalResponse } from '../infrastructure/idempotency.js';
import { createMetrics } from '../infrastructure/metrics.js';
import { API_CLIENT_CHANGES } from '../infrastructure/repositories/api-clients.js';
import { statisticsRepository } from '../infrastructure/repositories/statistics.js';
import { TokenCache } from '../infrastructure/token-cache.js';
import { UnknownTokenCache } from '../infrastructure/unknown-token-cache.js';
import { createApiClientCommands } from './commands/api-clients.js';
import { createAuditCheckpointCommands } from './commands/audit-checkpoints.js';
import { createEnforcementActionCommands } from './commands/enforcement-actions.js';
import { createEstablishmentCommands } from './commands/establishments.js';
import { createLicenceCommands } from './commands/licences.js';
import { createMunicipalityCommands } from './commands/municipalities.js';
import { createRedactionCommands } from './commands/redaction.js';
import { createReportingAttestationCommands } from './commands/reporting-attestations.js';
import { createRetentionCommands } from './commands/retention.js';
import { type CommandRunner, type CommitHook, createCommandRunner, type TenantTransaction } from './commands/run.js';
import { createStatisticsReleaseCommands } from './commands/statistics-releases.js';
import type { Principal, RequestContext } from './context.js';
import { type NotificationOptions, notificationServices } from './notifications/services.js';
import { createApiClientQueries } from './queries/api-clients.js';
import { createAuditTrailQueries } from './queries/audit-trail.js';
import { createEnforcementActionQueries } from './queries/enforcement-actions.js';
import { createEstablishmentQueries } from './queries/establishments.js';
import { createLicenceQueries } from './queries/licences.js';
import { createMunicipalityQueries } from './queries/municipalities.js';
import { createReader } from './queries/read.js';
import { createReportingAttestationQueries } from './queries/reporting-attestations.js';
import { createStatisticsReleaseQueries } from './queries/statistics-releases.js';
import { createOpenData } from './statistics/open-data.js';
import { createStatisticsService } from './statistics/statistics.js';
import { createExporter } from './transfer/export.js';
import { createImports, type ImportOptions } from './transfer/imports.js';

export interface ServiceOptions {
  /** How long an authenticated token is trusted without asking the database again (0: never). */
  authCacheTtlMs: number;
  /** How long a token the database did not know is refused from memory (0: never). */
  unknownTokenTtlMs: number;
  /** Open data: counts below this are suppressed. */
  suppressionThreshold: number;
  /** The Ed25519 key that signs audit checkpoints; null or absent: checkpoints are off. */
  auditSigningKey?: SigningKey | null;
  /** Work that commits with every write (see CommitHook). */
  commitHooks?: readonly CommitHook[];
  /** Webhook subscriptions and their dispatcher (src/application/notifications/). */
  notifications?: NotificationOptions;
  /** Write transactions let in at once (src/infrastructure/db/admission.ts); unset: no limit beyond the pool. */
  writeConcurrency?: number;
  /** How long a write waits for admission before it is answered as the database being unavailable (unset: no limit). */
  writeAdmissionWaitMs?: number;
  /** The clock that decides which open-data release is current (tests set it). */
  clock?: () => Date;
  /** Bulk imports: batch size, lease and poll interval of the import worker (docs/import-export.md). */
  imports?: Partial<ImportOptions>;
}

/** The record commands on one runner: a transaction of their own per command, or a share of an open one. */
function createRecordCommands(r: CommandRunner, tokens: TokenCache<Principal>, unknownTokens: UnknownTokenCache) {
  return {
    municipalities: createMunicipalityCommands(r),
    apiClients: createApiClientCommands(r, tokens, unknownTokens),
    establishments: createEstablishmentCommands(r),
    licences: createLicenceCommands(r),
    enforcementActions: createEnforcementActionCommands(r),
  };
}

/** The record commands (municipalities, API clients, establishments, licences, enforcement actions). */
export type RecordCommands = ReturnType<typeof createRecordCommands>;
export type Commands = RecordCommands;

/**
 * The application, built once on an opened database: every write (commands), every read
 * (queries), the statistics. The HTTP layer, the CLIs and the tests all use this one object.
 */
export function createServices(database: Database, options: ServiceOptions) {
  const tokens = new TokenCache<Principal>(options.authCacheTtlMs);
  const unknownTokens = new UnknownTokenCache(options.unknownTokenTtlMs);
  // Several instances: hear every instance's revocations; while deaf, trust no cached token.
  database.listen?.(API_CLIENT_CHANGES, {
    message: (clientId) => tokens.forgetClient(clientId),
    down: () => tokens.distrust(),
    up: () => tokens.trust(),
  });
  const hooks = options.commitHooks ?? [];
  const admission = options.writeConcurrency ? createAdmission(options.writeConcurrency, options.writeAdmissionWaitMs) : undefined;
  // A command's transaction of its own, run again should the server end it to break a deadlock.
  const ownTransaction: TenantTransaction = (scope, work) => retryOnConflict(() => withTenant(database.db, scope, work));
  const runner = createCommandRunner(database, hooks, (scope, work) =>
    admission ? admission.run(() => ownTransaction(scope, work)) : ownTransaction(scope, work),
  );
  const recordCommands = (r: CommandRunner) => createRecordCommands(r, tokens, unknownTokens);
  const read = createReader(database);
  const metrics = createMetrics(database, admission);
  const statistics = createStatisticsService(read);
  /** A runner whose commands share an open transaction (each still binds its own tenant scope in it). */
  const runnerOn = (tx: Tx) => createCommandRunner(database, hooks, (scope, fn) => inTenant(tx, scope, fn));
  const notifications = notificationServices(database, runner, runnerOn, read, options.notifications);
  /** The record commands inside an open transaction. */
  const commandsOn = (tx: Tx) => recordCommands(runnerOn(tx));
  return {
    commands: {
      ...recordCommands(runner),
      auditCheckpoints: createAuditCheckpointCommands(runner, options.auditSigningKey ?? null, (at) => metrics.auditCheckpointWritten(at)),
      subscriptions: notifications.commands,
      retention: createRetentionCommands(runner),
      redaction: createRedactionCommands(runner),
      reportingAttestations: createReportingAttestationCommands(runner),
      statisticsReleases: createStatisticsReleaseCommands(runner, statistics),
    },
    /**
     * Many commands as one unit, for the service's own bulk work (the demo, an import), never for
     * requests: `work` gets the same record commands, and each still runs all its steps (its tenant
     * scope, rules, version check, audit entries, commit hooks), but inside one shared transaction
     * instead of one each. The audit chain and the statistics rollups are brought up to date at its
     * COMMIT, as for any write, so they stay exact. Everything commits together, or nothing does.
     */
    inOneTransaction: <T>(work: (commands: RecordCommands) => Promise<T>): Promise<T> =>
      database.db.transaction((tx) => work(commandsOn(tx))),
    /**
     * Bulk import jobs and their worker, and streamed exports (docs/import-export.md). An upload is read
     * whole before its transaction, and a cancel is a request's write: both wait their turn for write
     * admission, as every command of a request does; the worker's batches run in transactions of their own.
     */
    imports: createImports(database, runner, commandsOn, {
      batchSize: 500,
      leaseMs: 30_000,
      pollMs: 1000,
      ...options.imports,
    }),
    exports: createExporter(database),
    queries: {
      municipalities: createMunicipalityQueries(read),
      apiClients: createApiClientQueries(database, read, tokens, unknownTokens),
      establishments: createEstablishmentQueries(read),
      licences: createLicenceQueries(read),
      enforcementActions: createEnforcementActionQueries(read),
      auditTrail: createAuditTrailQueries(read, options.auditSigningKey?.publicKey ?? null),
      subscriptions: notifications.queries,
      reportingAttestations: createReportingAttestationQueries(read),
      statisticsReleases: createStatisticsReleaseQueries(read),
    },
    /** The webhook dispatcher (started by the server) and the outbox backlog (readiness details). */
    notifications: {
      dispatcher: notifications.dispatcher,
      backlog: notifications.backlog,
      refusedCallbacks: notifications.refusedCallbacks,
    },
    statistics: {
      ...statistics,
      /** Open data released at fixed moments (daily), protected jointly across every grouping. */
      openData: createOpenData({
        service: statistics,
        read,
        runner,
        threshold: options.suppressionThreshold,
        clock: options.clock ?? (() => new Date()),
      }),
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
    /** Prometheus metrics of this instance (requests are recorded by the HTTP layer). */
    metrics,
    /** Readiness: can the database answer? */
    ping: async () => {
      await database.db.execute(sql`select 1`);
      return database.kind;
    },
    database,
  };
}

export type Services = ReturnType<typeof createServices>;
