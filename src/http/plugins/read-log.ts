import type { FastifyInstance, onResponseHookHandler, preSerializationHookHandler } from 'fastify';
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

/** Routes whose GETs read establishment-level records (establishments, licences, actions, their trails); exports opt in with `recordRead`. */
const RECORD_PREFIXES = ['/v1/establishments', '/v1/enforcement-actions'];

/**
 * Access logging for establishment-level records: every GET under RECORD_PREFIXES (and any route
 * with `config.recordRead`) writes one `record-read` line when it has answered, with the client
 * id, its role, the acting person's id when known, the route, the object id (or the number of items and the total for a list), the
 * status and the request id. Not the record's content, never a token.
 */
export default fp(
  async function readLog(app: FastifyInstance) {
    app.decorateRequest('recordReadCount', null);

    const countItems: preSerializationHookHandler<unknown> = async (request, _reply, payload) => {
      if (payload && typeof payload === 'object') {
        const items = (payload as { items?: unknown }).items;
        if (Array.isArray(items)) request.recordReadCount = items.length;
      }
      return payload;
    };
    const logRead: onResponseHookHandler = async (request, reply) => {
      const params = (request.params ?? {}) as Record<string, string | undefined>;
      // An export names its record type in the path and, for an admin, the municipality in the query:
      // municipalityCode, or its deprecated former name municipality.
      const query = request.query as Record<string, unknown> | undefined;
      const municipality = params.recordType ? (query?.municipalityCode ?? query?.municipality) : undefined;
      request.log.info(
        {
          event: 'record-read',
          clientId: request.principal?.clientId ?? null,
          clientRole: request.principal?.role ?? null,
          // The person behind the client when known (a user token's subject, or X-Acting-User): with an
          // identity provider's tokens the client is the shared application, the person tells who read.
          ...(request.principal?.person ? { actorId: request.principal.person.id, actorVerified: request.principal.person.verified } : {}),
          method: request.method,
          route: request.routeOptions.url,
          objectId: params.id ?? null,
          ...(params.licenceId ? { licenceId: params.licenceId } : {}),
          ...(params.recordType && /^[a-z-]{1,40}$/.test(params.recordType) ? { recordType: params.recordType } : {}),
          ...(typeof municipality === 'string' && /^GM[0-9]{4}$/.test(municipality) ? { municipality } : {}),
          ...(request.recordReadCount === null ? {} : { count: request.recordReadCount }),
          statusCode: reply.statusCode,
          requestId: request.id,
        },
        'record read',
      );
    };
    // On the logged routes only: the other routes pay nothing for it.
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const logged =
        route.config?.recordRead ||
        (methods.includes('GET') && RECORD_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`)));
      if (!logged) return;
      route.config = { ...(route.config ?? {}), recordRead: true };
      const add = <H>(existing: H | H[] | undefined, hook: H): H[] =>
        existing ? [...(Array.isArray(existing) ? existing : [existing]), hook] : [hook];
      route.preSerialization = add(route.preSerialization, countItems as never);
      route.onResponse = add(route.onResponse, logRead as never);
    });
  },
  { name: 'read-log' },
);
