import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { acceptsAny } from '../../lib/csv.js';
import { HttpProblem } from '../problem.js';
import { problems } from '../routes/operations.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The media types the operation answers with success (set here, from its 2xx responses). */
    produces?: readonly string[];
    /** What the 406 adds for this operation: where the representation asked for is to be had. */
    notAcceptableHint?: string;
  }
}

/**
 * The media types an operation answers with success: the content types of its 2xx responses, JSON
 * where a response is a schema; none where it carries no body (a 204's z.undefined()).
 */
export function producedTypes(schema: FastifySchema | undefined): string[] {
  const types = new Set<string>();
  for (const [status, response] of Object.entries((schema?.response ?? {}) as Record<string, unknown>)) {
    if (!status.startsWith('2')) continue;
    if (response instanceof z.ZodUndefined || response instanceof z.ZodVoid) continue; // no body: a 204
    if (response instanceof z.ZodType) types.add('application/json');
    else if (response && typeof response === 'object' && 'content' in response) {
      for (const type of Object.keys((response as { content: object }).content)) types.add(type);
    }
  }
  return [...types];
}

/**
 * Content negotiation for the contract's operations (RFC 9110 §12.5.1, §15.5.7): a request whose
 * Accept admits none of the media types the operation answers gets a 406 that names them, instead of
 * a representation it did not ask for (a script asking for CSV would otherwise save JSON without a
 * word). No Accept, `*\/*` or a range that covers one of them is served as before. Checked once the
 * client is known (after authentication) and before any 400. Every operation declares the 406.
 */
export default fp(
  async function contentNegotiation(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/v1/')) return;
      const produces = producedTypes(route.schema);
      if (produces.length === 0) return;
      route.config = { ...route.config, produces } as typeof route.config;
      const response = route.schema?.response as Record<string, unknown> | undefined;
      if (response && !('406' in response)) route.schema = { ...route.schema, response: { ...response, ...problems(406) } };
    });

    app.addHook('preValidation', async (request) => {
      const { produces, notAcceptableHint } = request.routeOptions.config;
      if (!produces || acceptsAny(request.headers.accept, produces)) return;
      throw new HttpProblem({
        status: 406,
        code: 'not-acceptable',
        detail: `This operation answers ${produces.join(' or ')}; the Accept header admits none of them.${notAcceptableHint ? ` ${notAcceptableHint}` : ''}`,
      });
    });
  },
  { name: 'content-negotiation' },
);
