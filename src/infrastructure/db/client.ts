import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { READ_TIMEOUT } from './errors.js';
import { type ChannelHandlers, listenChannel } from './notifications.js';
import * as schema from './schema.js';
import { traceCallbackQuery, traceQuery } from './tracing.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything a repository can run a query on: the database or an open transaction. */
export type Queryable = Db | Tx;

export interface Database {
  kind: 'pglite' | 'postgres';
  /** Writes, and reads that must see the caller's own writes. */
  db: Db;
  /**
   * Where a read goes: the replica when DATABASE_READ_URL is set and the caller does not need the
   * primary (a client that wrote moments ago: see src/infrastructure/read-routing.ts), else `db`.
   */
  reader(needsPrimary: boolean): Db;
  /**
   * PostgreSQL with a replica only: a read on the replica found it unavailable. For REPLICA_PAUSE_MS
   * `reader` answers the primary, so a lost replica slows nothing and fails nothing; then it tries again.
   */
  replicaUnavailable?(err: unknown): void;
  /** PostgreSQL only: the primary pool's connections (for metrics). */
  poolStats?(): { total: number; idle: number; waiting: number };
  /**
   * PostgreSQL only: LISTEN on a channel (NOTIFY from any instance), on a connection of its own that
   * reconnects by itself; closed with the database. The embedded database has one process, so none.
   */
  listen?(channel: string, handlers: ChannelHandlers): void;
  close(): Promise<void>;
}

/**
 * The pool behind a PostgreSQL `Db`, for callers that must hold one connection themselves (the tenant
 * transaction, src/infrastructure/db/tenant.ts). Absent for PGlite, whose one connection is driven
 * through drizzle's own transactions.
 */
export const poolBehind = new WeakMap<Db, pg.Pool>();

const connectionDbs = new WeakMap<pg.PoolClient, Db>();

/** A drizzle instance on one checked-out connection, made once per connection and reused. */
export function dbOnConnection(client: pg.PoolClient): Db {
  let db = connectionDbs.get(client);
  if (!db) {
    db = drizzlePg({ client, schema }) as unknown as Db;
    connectionDbs.set(client, db);
  }
  return db;
}

/** A statement that binds a scope's settings, prepared once per connection (see ScopedQuery). */
export interface ScopeStatement {
  name: string;
  text: string;
}

/** The scope's settings and the switch to the role the policies bind (for a login role they might not bind). */
export const SCOPE_STATEMENT: ScopeStatement = {
  name: 'er_scope',
  text: "select set_config('app.scope', $1, true), set_config('app.municipality', $2, true), set_config('role', $3, true)",
};

/**
 * The scope's settings alone, for a login role that row-level security binds as it is (no
 * superuser, no BYPASSRLS, owns no table: loginBoundByPolicies). Switching the role costs
 * PostgreSQL more than the read it precedes (a primary-key read: 8 700 against 13 900 per second
 * in pgbench here), so a read skips it where it changes nothing.
 */
export const SCOPE_SETTINGS_STATEMENT: ScopeStatement = {
  name: 'er_scope_settings',
  text: "select set_config('app.scope', $1, true), set_config('app.municipality', $2, true)",
};

const PgQuery = createRequire(import.meta.url)('pg/lib/query.js') as new (
  config: pg.QueryConfig & { queryMode?: string; callback?: (err: Error | null, result?: pg.QueryResult) => void },
) => object;
const prepareValue: (value: unknown) => string | Buffer | null = createRequire(import.meta.url)('pg/lib/utils.js').prepareValue;

/** The parts of pg's wire connection a ScopedQuery writes to (pg/lib/connection.js). */
interface WireConnection {
  parsedStatements: Record<string, string>;
  parse(m: { text: string; name: string; types: unknown[] }): void;
  bind(m: { portal: string; statement: string; values: unknown[]; valueMapper: typeof prepareValue }): void;
  execute(m: { portal: string; rows?: number }): void;
}

/**
 * One statement preceded by the scope's settings in a single round trip: the extended-protocol
 * messages of SCOPE_STATEMENT (Bind, Execute; Parse only the first time on a connection) and then
 * those of the statement itself (pg's own: Parse the first time, Bind, Describe, Execute), closed
 * by one Sync. PostgreSQL runs everything up to a Sync as one implicit transaction, so the
 * transaction-local settings hold for the statement and end with it: fail-closed like BEGIN … COMMIT,
 * in one round trip, with both statements prepared (parsed and planned once per connection).
 * The settings' own row and command tag are not part of the answer.
 */
class ScopedQuery extends (PgQuery as new (
  config: object,
) => {
  prepare(connection: WireConnection): void;
  hasBeenParsed(connection: WireConnection): boolean;
  handleDataRow(msg: unknown): void;
  handleCommandComplete(msg: unknown, connection: unknown): void;
}) {
  /** Set when this round trip parsed a statement: a failure leaves the connection's bookkeeping of prepared statements unsure. */
  parsedHere = false;
  private settingsPending = true;

  constructor(
    config: pg.QueryConfig,
    readonly scope: Scope,
    callback: (err: Error | null, result?: pg.QueryResult) => void,
  ) {
    super({ ...config, queryMode: 'extended', callback });
  }

  override prepare(connection: WireConnection): void {
    const { statement, values } = this.scope;
    if (connection.parsedStatements[statement.name] === undefined) {
      connection.parse({ ...statement, types: [] });
      connection.parsedStatements[statement.name] = statement.text;
      this.parsedHere = true;
    }
    if (!this.hasBeenParsed(connection)) this.parsedHere = true;
    connection.bind({ portal: '', statement: statement.name, values: [...values], valueMapper: prepareValue });
    connection.execute({ portal: '' });
    super.prepare(connection);
  }

  override handleDataRow(msg: unknown): void {
    if (!this.settingsPending) super.handleDataRow(msg);
  }

  override handleCommandComplete(msg: unknown, connection: unknown): void {
    if (this.settingsPending) this.settingsPending = false;
    else super.handleCommandComplete(msg, connection);
  }
}

/** What binds a read's statements: a scope statement and its values. */
export interface Scope {
  statement: ScopeStatement;
  values: readonly string[];
}

interface ScopedConnection {
  db: Db;
  /** The scope of the present use. */
  scope: Scope;
  /** Set when the connection failed (not a statement): it must not go back to the pool. */
  broken: Error | undefined;
}

const scopedConnections = new WeakMap<pg.PoolClient, ScopedConnection>();

/**
 * A drizzle instance on one checked-out connection whose every statement is sent as a ScopedQuery:
 * the scope's settings and the statement in one round trip and one implicit transaction. Used by
 * readWithTenant (tenant.ts); made once per connection and reused.
 */
export function scopedStatements(client: pg.PoolClient, scope: Scope): { db: Db; broken(): Error | undefined } {
  let conn = scopedConnections.get(client);
  if (!conn) {
    const state: ScopedConnection = { db: undefined as unknown as Db, scope, broken: undefined };
    const query = (config: pg.QueryConfig, values?: unknown[]) => {
      const text = config.text;
      const params = values ?? config.values ?? [];
      const name = statementName(client, text, params.length);
      return traceQuery(
        'postgresql',
        text,
        () =>
          new Promise<pg.QueryResult>((resolve, reject) => {
            const q = new ScopedQuery({ ...config, name, values: params }, state.scope, (err, result) => {
              if (!err) return resolve(result as pg.QueryResult);
              // A failed statement rolled back its own implicit transaction; the connection is given back
              // unless it broke or this round trip parsed a statement (its prepared-statement bookkeeping is unsure then).
              if (!(err instanceof pg.DatabaseError) || q.parsedHere) state.broken = err;
              reject(err);
            });
            client.query(q as unknown as pg.QueryConfig);
          }),
      );
    };
    state.db = drizzlePg({ client: { query } as unknown as pg.PoolClient, schema }) as unknown as Db;
    conn = state;
    scopedConnections.set(client, conn);
  }
  conn.scope = scope;
  conn.broken = undefined;
  const used = conn;
  return { db: used.db, broken: () => used.broken };
}

const boundByPolicies = new WeakMap<pg.PoolClient, boolean>();

/**
 * Whether the connection's login role is bound by row-level security as it is: no superuser, no
 * BYPASSRLS, owner of no table in the schema, and holding registry_app's privileges by inheritance.
 * Asked once per pooled connection (one round trip in its lifetime); false on any doubt.
 */
export async function loginBoundByPolicies(client: pg.PoolClient, appRole: string): Promise<boolean> {
  const known = boundByPolicies.get(client);
  if (known !== undefined) return known;
  const { rows } = await client.query<{ bound: boolean }>(
    `select not r.rolsuper and not r.rolbypassrls and pg_has_role(r.oid, $1, 'USAGE')
        and not exists (select 1 from pg_class c where c.relowner = r.oid and c.relnamespace = current_schema()::regnamespace) as bound
       from pg_roles r where r.rolname = current_user`,
    [appRole],
  );
  const bound = rows[0]?.bound === true;
  boundByPolicies.set(client, bound);
  return bound;
}

/** The migrations folder, resolved from this module so it works from src/, dist/ and any cwd. */
export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../../migrations');

export interface PostgresOptions {
  url: string;
  readUrl?: string | undefined;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  onPoolError?: (err: Error) => void;
}

/**
 * How much longer than statement_timeout the pool waits for an answer before it gives the connection
 * up: the server's own cancel (57014, a 503 `busy`) comes first when the server is there to send it.
 */
export const QUERY_TIMEOUT_MARGIN_MS = 2000;

function makePool(url: string, o: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.statementTimeoutMs,
    // statement_timeout is the server's: a server that can no longer answer (a network partition, a failover
    // that hangs) never ends the wait. The client ends it (endOnReadTimeout), and TCP keep-alive finds a
    // peer that went away while its connection sat idle in the pool.
    query_timeout: o.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'enforcement-registry',
  });
  // Without a listener an idle client's error (e.g. PostgreSQL restarting) crashes the process.
  pool.on('error', (err) => o.onPoolError?.(err));
  // The pool listens only to idle clients: a checked-out client whose connection drops between two
  // queries (say, inside a transaction) emits 'error' too, which would crash the process unheard.
  // Its next query then fails with "not queryable", which the error handler answers as a 503.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      if (!givenUp.has(client)) o.onPoolError?.(err); // not the end endOnReadTimeout made: its request already answered 503
    });
    useNamedStatements(client);
    endOnReadTimeout(client);
  });
  releaseDeadClients(pool);
  return pool;
}

/** Connections endOnReadTimeout destroyed: their end is not reported as a failure of an idle one. */
const givenUp = new WeakSet<pg.PoolClient>();

/**
 * A statement left unanswered past query_timeout fails with pg's "Query read timeout"; pg then still
 * waits on the connection for that answer, so the transaction's ROLLBACK, and the next request that
 * got the connection from the pool, would wait as long again. The connection is destroyed instead:
 * its end releases it (releaseDeadClients), and the request is answered 503 (errors.ts).
 */
function endOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query as (...args: unknown[]) => unknown;
  const endIfTimedOut = (err: unknown) => {
    if (err instanceof Error && err.message === READ_TIMEOUT) {
      givenUp.add(client);
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    }
  };
  (client as unknown as { query: unknown }).query = function (this: pg.PoolClient, ...args: unknown[]) {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, result: unknown) => {
        endIfTimedOut(err);
        (callback as (err: unknown, result: unknown) => void)(err, result);
      };
      return query.apply(this, args);
    }
    const submitted = args[0] as { callback?: unknown } | undefined;
    if (submitted && typeof submitted.callback === 'function') {
      // A query object with its own callback (a ScopedQuery): pg calls that one.
      const own = submitted.callback as (err: unknown, result: unknown) => void;
      submitted.callback = (err: unknown, result: unknown) => {
        endIfTimedOut(err);
        own(err, result);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) result.catch(endIfTimedOut); // the caller handles the rejection itself
    return result;
  };
}

/**
 * drizzle's transaction() releases its client only after BEGIN succeeded: when the connection dies
 * before or during BEGIN, the client stays checked out forever, and every outage shrinks the pool
 * until nothing can connect. Here a checked-out client whose connection ends is released (and so
 * destroyed) at once, and a later release of it is a no-op.
 */
function releaseDeadClients(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (cb?: unknown) => unknown;
  const wrapped = (cb?: unknown) => {
    if (typeof cb === 'function') return connect(cb); // pool.query's own checkout: it releases itself
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      const release = client.release;
      let released = false;
      const onEnd = () => {
        if (released) return;
        released = true;
        release(new Error('connection ended while checked out'));
      };
      client.once('end', onEnd);
      client.release = (err?: Error | boolean) => {
        client.removeListener('end', onEnd);
        if (released) return;
        released = true;
        release(err);
      };
      return client;
    });
  };
  pool.connect = wrapped as typeof pool.connect;
}

/**
 * Runs `fn` with every statement planned for its values and the tables' present size, instead of a
 * connection's cached generic plan; the setting is back to its default afterwards (it must not stay:
 * the deferred triggers' PL/pgSQL statements would be planned again for every row). For queries over
 * tables that grow from empty faster than their statistics follow (an import): a generic plan cached
 * in an import's first batches picked an index on the municipality alone for the reference look-ups
 * of later ones and read every row of it per reference (18 s a batch at 60,000 actions).
 */
export async function withPlansForPresentSize<T>(q: Queryable, fn: () => Promise<T>): Promise<T> {
  await q.execute(sql`set local plan_cache_mode = force_custom_plan`);
  const result = await fn();
  await q.execute(sql`set local plan_cache_mode = default`);
  return result;
}

/** Distinct statements per connection that get a server-side prepared statement. */
const MAX_NAMED_STATEMENTS = 256;
/** Statements with more parameters than this are sent unnamed (planned for their values each time). */
const MAX_NAMED_PARAMETERS = 64;

const statementNames = new WeakMap<pg.PoolClient, Map<string, string>>();

/**
 * The name under which `text` is a prepared statement on this connection, or undefined when it is
 * sent unnamed: PostgreSQL parses and plans a named statement once per connection instead of on
 * every execution. drizzle builds the same text for the same query shape, so a connection holds a
 * few dozen; texts beyond MAX_NAMED_STATEMENTS, and bulk statements with more than
 * MAX_NAMED_PARAMETERS values (an import's many-row inserts, whose text varies and whose best plan
 * depends on the values), are sent unnamed.
 */
function statementName(client: pg.PoolClient, text: string, parameters: number): string | undefined {
  if (parameters > MAX_NAMED_PARAMETERS) return undefined;
  let names = statementNames.get(client);
  if (!names) {
    names = new Map();
    statementNames.set(client, names);
  }
  let name = names.get(text);
  if (!name && names.size < MAX_NAMED_STATEMENTS) {
    name = `er_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/** Sends drizzle's queries on this connection as named statements (statementName), each in a client span when traced. */
function useNamedStatements(client: pg.PoolClient): void {
  // looked up per call, so that a wrapper installed on the prototype later (the benchmark's capture) still sees every query
  const send = (self: pg.PoolClient, ...args: unknown[]) => (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(self, args);
  (client as unknown as { query: unknown }).query = function (this: pg.PoolClient, config: unknown, ...rest: unknown[]) {
    // A query object of its own (a ScopedQuery, a COPY stream) is sent as it is; scopedStatements traces it.
    if (config && typeof (config as { submit?: unknown }).submit === 'function') return send(this, config, ...rest);
    const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
    let named = config;
    if (config && typeof config === 'object' && typeof (config as { text?: unknown }).text === 'string') {
      const c = config as { text: string; name?: string; queryMode?: string; values?: unknown[] };
      // drizzle passes the values beside the config: query({ text }, values)
      const values = c.values ?? (Array.isArray(rest[0]) ? rest[0] : []);
      if (!c.name && c.queryMode !== 'simple') {
        const name = statementName(this, c.text, values.length);
        if (name) named = { ...c, name };
      }
    }
    return traceCallbackQuery(text, rest, (args) => send(this, named, ...args));
  };
}

/** How long lists read the primary after the replica failed one, before the replica is tried again. */
const REPLICA_PAUSE_MS = 10_000;

export async function openPostgres(o: PostgresOptions): Promise<Database & { pool: pg.Pool; readPool?: pg.Pool }> {
  const pool = makePool(o.url, o);
  const readPool = o.readUrl ? makePool(o.readUrl, o) : undefined;
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  const replicaDb = readPool ? (drizzlePg({ client: readPool, schema }) as unknown as Db) : db;
  poolBehind.set(db, pool);
  if (readPool) poolBehind.set(replicaDb, readPool);
  const listeners: { close(): Promise<void> }[] = [];
  let closed: Promise<void> | undefined; // a second close waits for the first (pg's pool ends only once)
  let replicaPausedUntil = 0;
  return {
    kind: 'postgres',
    db,
    reader: (needsPrimary) => (needsPrimary || Date.now() < replicaPausedUntil ? db : replicaDb),
    ...(readPool
      ? {
          replicaUnavailable(err: unknown) {
            if (Date.now() < replicaPausedUntil) return;
            replicaPausedUntil = Date.now() + REPLICA_PAUSE_MS;
            o.onPoolError?.(new Error(`read replica unavailable: lists read the primary for ${REPLICA_PAUSE_MS / 1000} s`, { cause: err }));
          },
        }
      : {}),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    listen(channel, handlers) {
      listeners.push(listenChannel(channel, handlers, { url: o.url }));
    },
    pool,
    ...(readPool ? { readPool } : {}),
    close() {
      closed ??= Promise.all([pool.end(), readPool?.end(), ...listeners.map((l) => l.close())]).then(() => undefined);
      return closed;
    },
  };
}

/**
 * A lock file beside the embedded database: PGlite lets two processes open one folder and
 * corrupt it. The lock holds the owner's pid and, on Linux, that process's start time (field 22
 * of /proc/<pid>/stat, in clock ticks since boot). It is held only while a process with that pid
 * and that start time lives: a lock left by a killed process is taken over, also before its parent
 * has reaped it (a zombie holds nothing) and when its pid has since been reused by an unrelated process. A lock of an older version holds only a pid: it is
 * stale when that process started after the lock file was written. Without /proc (not Linux), a
 * live pid is taken as the owner.
 *
 * Pids say nothing across pid namespaces: two containers on one volume both run the service as pid 1,
 * and neither can look up the other's. So the lock also records the holder's pid namespace, and the
 * holder refreshes the file's mtime every `refreshMs`: a lock from another namespace is held while it
 * was refreshed within LOCK_STALE_MS, and taken over after that (its container is gone).
 */
export function acquireDataDirLock(dataDir: string, o: { refreshMs?: number } = {}): () => void {
  const lockPath = path.join(dataDir, 'registry.lock');
  const mine = JSON.stringify({ pid: process.pid, start: processStart(process.pid), ns: pidNamespace() });
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWhole(lockPath, mine)) {
      const refresh = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(lockPath, now, now);
        } catch {
          // removed under us: nothing to keep fresh
        }
      }, o.refreshMs ?? LOCK_REFRESH_MS).unref();
      return () => {
        clearInterval(refresh);
        rmSync(lockPath, { force: true });
      };
    }
    const found = readWritten(lockPath);
    if (!found) continue; // released meanwhile: try again
    const owner = readLockOwner(found.text);
    if (owner && isHeldBy(owner, found.mtimeMs)) {
      throw new DataDirLockedError(dataDir, owner.pid, owner.ns !== null && owner.ns !== pidNamespace());
    }
    removeStale(dataDir, lockPath, found.text, mine); // stale: its process is gone
  }
  throw new DataDirLockedError(dataDir, -1);
}

/**
 * Creates `file` holding `text`, unless it exists: false then. Others never see it empty or half
 * written: the text goes into a file of this process's own, which is then linked into place (a link
 * fails when the name is taken, as an exclusive create does). Where the file system has no hard
 * links, an exclusive create and a write.
 */
function createWhole(file: string, text: string): boolean {
  const own = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  writeFileSync(own, text, { flag: 'wx' });
  try {
    linkSync(own, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, text);
      closeSync(fd);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    rmSync(own, { force: true });
  }
}

/** A file's text and when it was last written; null when it is not there (any more). */
function readWritten(file: string): { text: string; mtimeMs: number } | null {
  try {
    return { mtimeMs: statSync(file).mtimeMs, text: readFileSync(file, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Removes the stale lock `file` if it still holds `staleText`, so that of processes that found the
 * same stale lock at once exactly one takes it over (each removing it and creating its own, the
 * slower one would remove the faster one's new lock). The removal is claimed first, by creating
 * `<file>.takeover-<hash of the stale text>` exclusively; the process that made the claim reads the
 * lock again (one that judged it stale a while ago finds a new lock there and leaves it), removes
 * it, then drops the claim. A live process's claim means it is taking the folder over: locked. A
 * claim left by a process that died while holding it is stale in turn, and removed the same way.
 */
function removeStale(dataDir: string, file: string, staleText: string, mine: string, depth = 0): void {
  const claim = `${file}.takeover-${createHash('sha256').update(staleText).digest('hex').slice(0, 16)}`;
  if (!createWhole(claim, mine)) {
    const found = readWritten(claim);
    if (!found) return; // the claim was just dropped: look at the lock again
    const claimant = readLockOwner(found.text);
    if (claimant && isHeldBy(claimant, found.mtimeMs)) throw new DataDirLockedError(dataDir, claimant.pid);
    if (depth < 3) removeStale(dataDir, claim, found.text, mine, depth + 1);
    return;
  }
  try {
    if (readWritten(file)?.text === staleText) rmSync(file, { force: true });
  } finally {
    rmSync(claim, { force: true });
  }
}

/** How often a holder refreshes its lock's mtime, and how old a lock from another pid namespace must be to count as stale. */
const LOCK_REFRESH_MS = 10_000;
const LOCK_STALE_MS = 30_000;

interface LockOwner {
  pid: number;
  start: string | null;
  /** The holder's pid namespace (`pid:[4026531836]`); null in locks of older versions or without /proc. */
  ns: string | null;
}

/** `{"pid":…,"start":…,"ns":…}`, or a bare pid as older versions wrote it; null for anything else (stale). */
function readLockOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as { pid?: unknown; start?: unknown; ns?: unknown } | number;
    if (typeof v === 'number') return Number.isInteger(v) ? { pid: v, start: null, ns: null } : null;
    if (!Number.isInteger(v.pid)) return null;
    return { pid: v.pid as number, start: typeof v.start === 'string' ? v.start : null, ns: typeof v.ns === 'string' ? v.ns : null };
  } catch {
    return null;
  }
}

/** The start time of a process (clock ticks since boot) from /proc; null where there is no /proc. */
export function processStart(pid: number): string | null {
  return processStat(pid)?.start ?? null;
}

/**
 * A process's state (R, S, D, Z, …) and start time: fields 3 and 22 of /proc/<pid>/stat; null where
 * there is no /proc (or no such process).
 */
function processStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] && fields[19] ? { state: fields[0], start: fields[19] } : null;
  } catch {
    return null;
  }
}

/** This process's pid namespace, as /proc names it; null where there is no /proc. */
function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

function isHeldBy(owner: LockOwner, writtenAtMs: number): boolean {
  const ours = pidNamespace();
  // Another container's pid cannot be looked up here: only its refreshes tell that it still runs.
  if (owner.ns !== null && ours !== null && owner.ns !== ours) return Date.now() - writtenAtMs < LOCK_STALE_MS;
  if (owner.pid === process.pid) return false; // left by an earlier process that had this pid
  if (!isAlive(owner.pid)) return false;
  const stat = processStat(owner.pid);
  if (stat === null) return true; // no /proc: the pid is all there is to go by
  // A process killed but not yet reaped by its parent (a zombie) has let go of everything it held.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  const now = stat.start;
  if (owner.start !== null) return now === owner.start;
  // A bare pid: the process holding that pid now must have started before the lock was written.
  const startedAtMs = bootTimeMs() + (Number(now) * 1000) / CLOCK_TICKS_PER_SECOND;
  return startedAtMs <= writtenAtMs + 2000;
}

/** USER_HZ: what /proc counts process start times in; 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** When the machine booted (the btime line of /proc/stat), in ms since the epoch. */
function bootTimeMs(): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('btime '));
  return Number(line?.slice(6)) * 1000;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number, otherNamespace = false) {
    super(
      `The embedded database in ${path.resolve(dataDir)} is in use by another process (pid ${pid}` +
        `${otherNamespace ? ` in another container or pid namespace, which refreshed the lock in the last ${LOCK_STALE_MS / 1000} s` : ''}). ` +
        'Stop that process or set DATA_DIR to another folder.',
    );
  }
}

type Runs = { query: (...a: unknown[]) => Promise<unknown>; exec: (...a: unknown[]) => Promise<unknown> };

/** Database spans on the embedded database too: its query and exec, also inside transactions. */
function traceEmbedded(client: PGlite): void {
  const wrap = (target: Runs) => {
    const query = target.query.bind(target);
    const exec = target.exec.bind(target);
    target.query = (...a: unknown[]) => traceQuery('postgresql', String(a[0]), () => query(...a));
    target.exec = (...a: unknown[]) => traceQuery('postgresql', String(a[0]), () => exec(...a));
  };
  wrap(client as unknown as Runs);
  const transaction = client.transaction.bind(client);
  client.transaction = ((fn: (tx: Runs) => Promise<unknown>) =>
    transaction((tx) => {
      wrap(tx as unknown as Runs);
      return fn(tx as unknown as Runs);
    })) as typeof client.transaction;
}

export interface PgliteOptions {
  /** A folder for the data; undefined keeps it in memory. */
  dataDir?: string | undefined;
}

export async function openPglite(o: PgliteOptions): Promise<Database & { client: PGlite }> {
  let release = () => {};
  if (o.dataDir) {
    // The owner's alone: PGlite writes its files world-readable and -writable (0666), and whoever can
    // open the folder is the database's superuser (every municipality's records, the audit trail).
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    release = acquireDataDirLock(o.dataDir);
  }
  try {
    const client = await PGlite.create(o.dataDir ? { dataDir: o.dataDir } : {});
    traceEmbedded(client);
    const db = drizzlePglite({ client, schema }) as unknown as Db;
    let closed: Promise<void> | undefined;
    return {
      kind: 'pglite',
      db,
      reader: () => db,
      client,
      // Once: a second call (a shutdown hook after an explicit close) waits for the first.
      close() {
        closed ??= client.close().finally(release);
        return closed;
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** The session-level advisory lock under which one instance at a time migrates a PostgreSQL database. */
const MIGRATION_LOCK = 7_240_099;

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants the driver-specific type
    await migratePglite(database.db as any, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  // Instances starting at once (a rolling deploy, several replicas) would apply the same pending
  // migrations side by side, and all but one fail ("duplicate key … pg_namespace", "already exists").
  // One connection holds the lock and migrates; the next sees the migrations applied and skips them.
  const pool = poolBehind.get(database.db);
  if (!pool) throw new Error('a PostgreSQL database without its pool');
  const client = await pool.connect();
  let failed: Error | undefined; // then the connection is closed, not pooled: it must not keep the lock
  try {
    // Nothing pending: no lock, no migrator (which creates its schema first, a privilege the service's
    // plain role lacks), so the service starts without the owner's credentials on a database migrated
    // beforehand (migration 0029 lets it read the bookkeeping).
    if (await migrationsApplied(client)) return;
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants the driver-specific type
    await migratePg(dbOnConnection(client) as any, { migrationsFolder: MIGRATIONS_DIR });
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } catch (err) {
    failed = err as Error;
    throw err;
  } finally {
    client.release(failed);
  }
}

/** When the newest migration in migrations/ was made (drizzle's journal): drizzle applies those made after the last it ran. */
function newestMigration(): number {
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((e) => e.when));
}

/**
 * Whether drizzle's bookkeeping already records the newest migration, read as drizzle's migrator
 * decides (`created_at` of the last one applied against each migration's time). False when it cannot
 * be read (a new database, a role that may not read it): then the migrator runs, as before.
 */
async function migrationsApplied(client: pg.PoolClient): Promise<boolean> {
  try {
    const { rows } = await client.query<{ last: string | null }>('select max(created_at)::text as last from drizzle.__drizzle_migrations');
    const last = rows[0]?.last;
    return last !== null && last !== undefined && Number(last) >= newestMigration();
  } catch {
    return false;
  }
}

export interface OpenDatabaseConfig {
  DATABASE_URL?: string | undefined;
  DATABASE_READ_URL?: string | undefined;
  DATA_DIR: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_CONNECT_TIMEOUT_MS: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
}

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite database in DATA_DIR. */
/** Which database openDatabase() opens for a configuration: PostgreSQL when DATABASE_URL is set, else the embedded one in DATA_DIR. */
export const databaseKind = (c: Pick<OpenDatabaseConfig, 'DATABASE_URL'>): Database['kind'] => (c.DATABASE_URL ? 'postgres' : 'pglite');

export function openDatabase(c: OpenDatabaseConfig, onPoolError?: (err: Error) => void): Promise<Database> {
  if (c.DATABASE_URL) {
    return openPostgres({
      url: c.DATABASE_URL,
      readUrl: c.DATABASE_READ_URL,
      poolSize: c.DATABASE_POOL_SIZE,
      connectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: c.DATABASE_STATEMENT_TIMEOUT_MS,
      ...(onPoolError ? { onPoolError } : {}),
    });
  }
  return openPglite({ dataDir: c.DATA_DIR });
}

/** The login role of a PostgreSQL connection, and whether it is a superuser (which bypasses row-level security). */
export async function connectionRole(database: Database): Promise<{ user: string; superuser: boolean }> {
  const res = (await database.db.execute(
    sql`select current_user as "user", (select rolsuper from pg_roles where rolname = current_user) as superuser`,
  )) as unknown as { rows: { user: string; superuser: boolean }[] };
  const row = res.rows[0];
  return { user: String(row?.user), superuser: Boolean(row?.superuser) };
}

/**
 * Migrates the database and lets the service's login role act as `registry_app`. With a migration
 * URL (DATABASE_MIGRATION_URL) the migrations run through that privileged connection, which also
 * grants `registry_app` to the service's role, so the service itself needs no privileges beyond it.
 * Without one the service's own connection migrates (the embedded database, or a role that may).
 */
export async function prepareDatabase(database: Database, migrationUrl?: string): Promise<void> {
  if (database.kind !== 'postgres' || !migrationUrl) {
    await migrateDatabase(database);
    return;
  }
  const admin = await openPostgres({ url: migrationUrl, poolSize: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 600_000 });
  try {
    await migrateDatabase(admin);
    const { user, superuser } = await connectionRole(database);
    if (!superuser) await admin.db.execute(sql`select registry_grant_app_role(${user})`);
  } finally {
    await admin.close();
  }
}

/** A database that refuses every use: for building the app only to print its OpenAPI document. */
export function noDatabase(): Database {
  const refuse = (): never => {
    throw new Error('no database: this app was built only to describe its API');
  };
  return {
    kind: 'postgres',
    get db(): Db {
      return refuse();
    },
    reader: refuse,
    close: async () => {},
  };
}
