import type { Database, Tx } from '../../infrastructure/db/client.js';
import { withTenant } from '../../infrastructure/db/tenant.js';
import { activeCallbacks, backlog } from '../../infrastructure/repositories/notifications.js';
import { refusedTarget } from '../../infrastructure/webhooks.js';
import type { CommandRunner } from '../commands/run.js';
import { systemContext } from '../context.js';
import type { Reader } from '../queries/read.js';
import { createDispatcher, type DispatcherOptions, type DispatchLog } from './dispatcher.js';
import { createSubscriptionCommands, createSubscriptionQueries } from './subscriptions.js';

export type NotificationOptions = DispatcherOptions;

/** Defaults for callers that configure nothing (scripts, tests): the service's defaults, see src/config.ts. */
export const DEFAULT_NOTIFICATION_OPTIONS: NotificationOptions = {
  plainHttpHosts: [],
  privateNetworks: 'all',
  connectTimeoutMs: 5000,
  responseTimeoutMs: 10_000,
  maxResponseBytes: 65_536,
  pollMs: 1000,
  backoffBaseMs: 5000,
  giveUpAfterMs: 24 * 3_600_000,
  batchSize: 16,
  keepMs: 90 * 86_400_000,
  pruneBatch: 1000,
};

/** Subscriptions (commands, queries), the dispatcher and the backlog, built once with the services. */
export function notificationServices(
  database: Database,
  runner: CommandRunner,
  runnerOn: (tx: Tx) => CommandRunner,
  read: Reader,
  given?: NotificationOptions,
) {
  const options = given ?? DEFAULT_NOTIFICATION_OPTIONS;
  const commands = createSubscriptionCommands(runner, options);
  return {
    commands,
    queries: createSubscriptionQueries(read),
    /** A dispatcher on this database; the caller starts and stops it. */
    dispatcher: (log: DispatchLog, overrides: Partial<DispatcherOptions> = {}) =>
      // The disabling is a command of its own, run in the transaction that records the given-up attempt.
      createDispatcher(database, { ...options, ...overrides }, log, (tx, id, reason) =>
        createSubscriptionCommands(runnerOn(tx), options).disable(systemContext('notification deliveries kept failing'), id, reason),
      ),
    backlog: () => withTenant(database.db, { kind: 'all' }, (tx) => backlog(tx)),
    /**
     * Active subscriptions whose deliveries the current settings refuse before connecting (NOTIFICATIONS_HTTP_HOSTS
     * or NOTIFICATIONS_PRIVATE_NETWORKS narrowed since they were made), with the reason the delivery log would
     * give. A host name other than localhost is judged only when a delivery resolves it, so it is not listed here.
     */
    refusedCallbacks: () =>
      withTenant(database.db, { kind: 'all' }, async (tx) =>
        (await activeCallbacks(tx)).flatMap(({ id, callbackUrl }) => {
          const reason = URL.canParse(callbackUrl) ? refusedTarget(new URL(callbackUrl), options) : 'invalid callback URL';
          return reason ? [{ id, reason }] : [];
        }),
      ),
  };
}
