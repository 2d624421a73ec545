import { outboxHook } from './application/notifications/outbox.js';
import type { ServiceOptions } from './application/services.js';
import type { Config } from './config.js';

/** Response bodies of receivers are read up to this size, then the connection is closed. */
const MAX_RESPONSE_BYTES = 65_536;

/** The notification parts of the services' options, from the configuration (docs/notifications.md#configuration). */
export const notificationsFor = (config: Config): Pick<ServiceOptions, 'commitHooks' | 'notifications'> => ({
  commitHooks: [outboxHook({ source: config.NOTIFICATIONS_SOURCE, publicBaseUrl: config.PUBLIC_BASE_URL })],
  notifications: {
    plainHttpHosts: config.NOTIFICATIONS_HTTP_HOSTS ?? [],
    privateNetworks: config.NOTIFICATIONS_PRIVATE_NETWORKS ?? 'all',
    connectTimeoutMs: config.NOTIFICATIONS_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: config.NOTIFICATIONS_RESPONSE_TIMEOUT_MS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    pollMs: config.NOTIFICATIONS_POLL_MS,
    backoffBaseMs: config.NOTIFICATIONS_BACKOFF_BASE_MS,
    giveUpAfterMs: config.NOTIFICATIONS_GIVE_UP_AFTER_MS,
    batchSize: 16,
    keepMs: config.NOTIFICATIONS_KEEP_DAYS * 86_400_000,
    pruneBatch: 1000,
  },
});
