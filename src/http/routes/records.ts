import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Created, Revised } from '../../application/commands/run.js';
import type { RequestContext, Role } from '../../application/context.js';
import { contextOf } from '../plugins/auth.js';
import { declareResponseHeaders, type HeaderName } from '../plugins/openapi.js';
import { createOne, deleteOne, listOf, type OperationDoc, patchOne, readOne, replaceOne, roles } from './operations.js';
import { expectedVersion, paged, sendCreated, sendResource } from './replies.js';
import { mergePatched, replacement } from './revisions.js';

/**
 * The standard routes of a kind of record, declared once: list a page, create, read one, replace
 * (PUT), merge-patch (PATCH) and delete. A route file states what differs per record (paths, schemas,
 * documentation, the application call) and `recordRoutes` registers the routes with the usual
 * schema, roles and replies (ETag, Location, Link).
 */

type App = Parameters<FastifyPluginAsyncZod>[0];
type Out<S> = S extends z.ZodType ? z.output<S> : never;
type Schema = z.ZodType;
/** What a record route answers with: a versioned record (its ETag). */
type RecordSchema = z.ZodType<{ version: number }>;
/** A PUT body: an object, of which read-only fields are dropped. */
type BodySchema = z.ZodType<Record<string, unknown>>;

/** Who may list and read the records; who may create, change and delete them. */
export interface Access {
  read: Role[];
  write: Role[];
}

/** A 409 external-reference-taken names the record that has the reference in its Location. */
export const REFERENCE_TAKEN = { 409: ['Location'] } satisfies ResponseHeaders;

/** The list filter by a municipality's own reference. */
export const REFERENCE_FILTER =
  'Only the record with this externalReference (exact match): the municipality’s own reference, unique per municipality, so an officer gets at most one.';

/** A municipality's own records: its officers manage them, admins may read all. */
export const OWN_MUNICIPALITY: Access = { read: ['officer', 'admin'], write: ['officer'] };

/** A route's documentation, and the problems it may answer beyond the usual ones. */
interface Route {
  doc: OperationDoc;
  more?: number[];
}

/** A create, replace or patch: its answers may carry headers beyond the usual ones (a 409's Location of the record in the way). */
interface WriteRoute extends Route {
  headers?: ResponseHeaders;
}

/** Headers some responses of a route carry beyond the usual ones (declareResponseHeaders), by status. */
type ResponseHeaders = Record<number, HeaderName[]>;

/** A route's schema with the response headers it declares. */
function withHeaders<S extends object>(schema: S, headers: ResponseHeaders = {}): S {
  for (const [status, names] of Object.entries(headers)) declareResponseHeaders(schema, Number(status), ...names);
  return schema;
}

/** The type parameters are the schemas' (their constraints are `recordRoutes`'): path parameters, record, list query, bodies. */
export interface RecordRoutes<CP, P, R, Q, CB, RB> {
  /** The collection, e.g. `/establishments`, and its path parameters (for records within another). */
  path: string;
  pathParams?: CP;
  /** The record's field that names it (`id` unless named): the item path's last parameter, and a create's Location. */
  key?: Extract<keyof Out<R>, string>;
  /** One record, at `${path}/:${key}` unless `item` names another path, and its path parameters. */
  item?: string;
  params: P;
  record: R;
  access: Access;
  list?: Route & {
    query: Q;
    page: z.ZodType;
    find: (ctx: RequestContext, query: Out<Q>, params: Out<CP>) => Promise<{ items: unknown[]; totalItems: number }>;
  };
  create?: WriteRoute & {
    body: CB;
    /** Extra route options, e.g. the fields a replayed create may not show again (`idempotencyWithheld`). */
    config?: object;
    /** What a create answers when it shows more than the record: a token or secret shown only this once. */
    answer?: z.ZodType;
    run: (ctx: RequestContext, body: Out<CB>, params: Out<CP>) => Promise<Created<Out<R>>>;
  };
  read?: Route & { find: (ctx: RequestContext, params: Out<P>) => Promise<Out<R>> };
  /** PUT and PATCH: both become a revision of the stored record (src/http/routes/revisions.ts), applied by `update`. */
  replace?: WriteRoute & { body: RB };
  patch?: WriteRoute & { body: Schema };
  /** The fields the registry sets: a PUT or PATCH may carry them back only unchanged. */
  readOnly?: readonly string[];
  update?: (
    ctx: RequestContext,
    params: Out<P>,
    version: number,
    revision: (current: object) => Out<RB> | Revised<Out<RB>>,
  ) => Promise<Out<R>>;
  remove?: Route & { run: (ctx: RequestContext, params: Out<P>, version: number) => Promise<void> };
}

const OPERATIONS = ['list', 'create', 'read', 'replace', 'patch', 'remove'] as const;

/**
 * Registers the routes `spec` names, in the order it names them (the OpenAPI document lists a
 * path's operations in that order).
 */
export function recordRoutes<
  CP extends Schema,
  P extends Schema,
  R extends RecordSchema,
  Q extends Schema,
  CB extends Schema,
  RB extends BodySchema,
>(app: App, spec: RecordRoutes<CP, P, R, Q, CB, RB>) {
  const { path, pathParams, key = 'id', item = `${path}/:${key}`, params, record, readOnly = [] } = spec;
  const read = roles(...spec.access.read);
  const write = roles(...spec.access.write);
  const withPathParams = <S extends object>(schema: S) => (pathParams ? { ...schema, params: pathParams } : schema);
  const changes = spec.update;
  if ((spec.replace || spec.patch) && !changes) throw new Error(`${item}: a PUT or PATCH needs update`);
  if (spec.patch && !spec.replace) throw new Error(`${item}: a PATCH is validated by the PUT's schema`);
  const update = (request: FastifyRequest, revision: (current: object) => Out<RB> | Revised<Out<RB>>) =>
    (changes as NonNullable<typeof changes>)(contextOf(request), request.params as Out<P>, expectedVersion(request), revision);

  // A created record's URL: the item path under this plugin's prefix (`/v1`), its parameters taken from
  // the create's own path, the last one from the record.
  const last = item.lastIndexOf(':');
  const locationOf = (created: object, at: Record<string, unknown>) =>
    app.prefix +
    item.replace(/:(\w+)/g, (_, name: string, offset: number) =>
      encodeURIComponent(String(offset === last ? (created as Record<string, unknown>)[key] : at[name])),
    );

  // The schemas are generic here, which the zod type provider cannot resolve: the spec's callbacks carry the types instead.
  const server = app as unknown as FastifyInstance;
  const declare = {
    list: ({ doc, more = [], query, page, find }: NonNullable<typeof spec.list>) =>
      server.get(path, {
        config: read,
        schema: withPathParams(listOf(doc, query, page, ...more)) as FastifySchema,
        handler: async (request, reply) => {
          const q = request.query as Out<Q>;
          return paged(request, reply, q as never, await find(contextOf(request), q, request.params as Out<CP>));
        },
      }),
    create: ({ doc, more = [], body, config, answer = record, headers, run }: NonNullable<typeof spec.create>) =>
      server.post(path, {
        config: { ...write, idempotencyLocation: true, ...config },
        schema: withHeaders(withPathParams(createOne(doc, body, answer, ...more)), headers) as FastifySchema,
        handler: async (request, reply) => {
          const at = request.params as Out<CP>;
          const created = await run(contextOf(request), request.body as Out<CB>, at);
          return sendCreated(request, reply, created, (r) => locationOf(r, at as Record<string, unknown>));
        },
      }),
    read: ({ doc, find }: NonNullable<typeof spec.read>) =>
      server.get(item, {
        config: read,
        schema: readOne(doc, params, record) as FastifySchema,
        handler: async (request, reply) => sendResource(request, reply, await find(contextOf(request), request.params as Out<P>)),
      }),
    replace: ({ doc, more = [], body, headers }: NonNullable<typeof spec.replace>) =>
      server.put(item, {
        config: write,
        schema: withHeaders(replaceOne(doc, params, body, record, ...more), headers) as FastifySchema,
        handler: async (request, reply) => {
          const revision = replacement(request.body as Out<RB>, readOnly) as (current: object) => Out<RB> | Revised<Out<RB>>;
          return sendResource(request, reply, await update(request, revision));
        },
      }),
    patch: ({ doc, more = [], body, headers }: NonNullable<typeof spec.patch>) =>
      server.patch(item, {
        config: write,
        schema: withHeaders(patchOne(doc, params, body, record, ...more), headers) as FastifySchema,
        handler: async (request, reply) => {
          const schema = (spec.replace as NonNullable<typeof spec.replace>).body;
          const revision = mergePatched(schema, request.body as Record<string, unknown>, readOnly) as (
            current: object,
          ) => Out<RB> | Revised<Out<RB>>;
          return sendResource(request, reply, await update(request, revision));
        },
      }),
    remove: ({ doc, more = [], run }: NonNullable<typeof spec.remove>) =>
      server.delete(item, {
        config: write,
        schema: deleteOne(doc, params, ...more) as FastifySchema,
        handler: async (request, reply) => {
          await run(contextOf(request), request.params as Out<P>, expectedVersion(request));
          return reply.code(204).send();
        },
      }),
  };

  for (const name of Object.keys(spec)) {
    const operation = OPERATIONS.find((o) => o === name);
    const route = operation && spec[operation];
    if (operation && route) (declare[operation] as (route: unknown) => void)(route);
  }
}
