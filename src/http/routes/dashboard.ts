import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { DASHBOARD_CSS, dashboardPage } from '../dashboard/page.js';
import { HttpProblem } from '../problem.js';

/**
 * The analysts' dashboard: one HTML page and one hand-written ES module (src/http/dashboard/), styled
 * with NL Design System CSS from npm packages served here, so nothing comes from a CDN and nothing is
 * built at run time. /dashboard asks for a token and reads the statistics endpoints with it;
 * /dashboard/open reads the open data only. Outside /v1, so outside the OpenAPI document (HTML).
 */
const require = createRequire(import.meta.url);

/** The only files served from node_modules: a fixed map, never a path from the request. */
const VENDOR: Record<string, string> = {
  'components.css': '@utrecht/component-library-css/dist/index.css',
  'theme.css': '@nl-design-system-unstable/voorbeeld-design-tokens/dist/theme.css',
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const load = (file: string) => readFileSync(file, 'utf8');

const dashboardRoutes: FastifyPluginAsync = async (app) => {
  // Read once at start-up: a missing asset fails the start, not a visitor's request.
  const module = load(fileURLToPath(new URL('../dashboard/dashboard.js', import.meta.url)));
  const vendor = new Map(Object.entries(VENDOR).map(([name, spec]) => [name, load(require.resolve(spec))]));
  const pages = { analyst: dashboardPage('analyst'), open: dashboardPage('open') };

  const send = (reply: FastifyReply, type: string, body: string) =>
    reply.header('Content-Security-Policy', CSP).header('Cache-Control', 'no-cache').type(type).send(body);

  app.get('/dashboard', { schema: { hide: true } }, (_request, reply) => send(reply, 'text/html; charset=utf-8', pages.analyst));
  app.get('/dashboard/open', { schema: { hide: true } }, (_request, reply) => send(reply, 'text/html; charset=utf-8', pages.open));
  app.get('/dashboard/dashboard.js', { schema: { hide: true } }, (_request, reply) =>
    send(reply, 'text/javascript; charset=utf-8', module),
  );
  app.get('/dashboard/dashboard.css', { schema: { hide: true } }, (_request, reply) =>
    send(reply, 'text/css; charset=utf-8', DASHBOARD_CSS),
  );
  app.get<{ Params: { file: string } }>('/dashboard/assets/:file', { schema: { hide: true } }, (request, reply) => {
    const body = vendor.get(request.params.file);
    if (body === undefined) throw new HttpProblem({ status: 404, code: 'not-found', detail: `No dashboard asset ${request.params.file}.` });
    return send(reply, 'text/css; charset=utf-8', body);
  });
};

export default dashboardRoutes;
