import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Log every read of this route (who, what, when; never the content). */
    recordRead?: boolean;
  }
  interface FastifyRequest {
    /** Items in the page a logged list route answered with. */
    recordReadCount: number | null;
  }
}

/** Routes whose GETs read establishment-level records (establishments, licences, actions, their trails). */
const RECORD_PREFIXES = ['/v1/establishments', '/v1/enforcement-actions'];

/**
 * Access logging for establishment-level records: every GET under RECORD_PREFIXES (and any route
 * with `config.recordRead`) writes one `record-read` line when it has answered, with the client
 * id, its role, the route, the object id (or the number of items and the total for a list), the
 * status and the request id. Not the record's content, never a token.
 */
export default fp(
  async function readLog(app: FastifyInstance) {
    app.decorateRequest('recordReadCount', null);

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('GET')) return;
      if (!RECORD_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`))) return;
      route.config = { ...(route.config ?? {}), recordRead: true };
    });

    app.addHook('preSerialization', async (request, _reply, payload) => {
      if (request.routeOptions.config.recordRead && payload && typeof payload === 'object') {
        const items = (payload as { items?: unknown }).items;
        if (Array.isArray(items)) request.recordReadCount = items.length;
      }
      return payload;
    });

    app.addHook('onResponse', async (request, reply) => {
      if (!request.routeOptions.config.recordRead) return;
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      request.log.info(
        {
          event: 'record-read',
          clientId: request.principal?.clientId ?? null,
          clientRole: request.principal?.role ?? null,
          method: request.method,
          route: request.routeOptions.url,
          objectId: params.id ?? null,
          ...(params.licenceId ? { licenceId: params.licenceId } : {}),
          ...(request.recordReadCount === null ? {} : { count: request.recordReadCount }),
          statusCode: reply.statusCode,
          requestId: request.id,
        },
        'record read',
      );
    });
  },
  { name: 'read-log' },
);
