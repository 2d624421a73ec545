import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
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

interface ScopedConnection {
  db: Db;
  /** The statement that opens every message (the scope's settings), set for each use. */
  prefix: string;
  /** Set when the connection failed (not a statement): it must not go back to the pool. */
  broken: Error | undefined;
}

const scopedConnections = new WeakMap<pg.PoolClient, ScopedConnection>();
const prepareValue: (value: unknown) => string | Buffer | null = createRequire(import.meta.url)('pg/lib/utils.js').prepareValue;

/**
 * A drizzle instance on one checked-out connection whose every statement is sent as one
 * simple-protocol message: `prefix` first, then the statement with its parameters as escaped
 * literals (the text pg would have sent for them, untyped like a parameter), and the answer is the
 * statement's. Used by readWithTenant (tenant.ts); made once per connection and reused.
 */
export function scopedStatements(client: pg.PoolClient, prefix: string): { db: Db; broken(): Error | undefined } {
  let conn = scopedConnections.get(client);
  if (!conn) {
    const state: ScopedConnection = { db: undefined as unknown as Db, prefix, broken: undefined };
    const query = async (config: pg.QueryConfig, values?: unknown[]) => {
      const text = state.prefix + inlineParameters(config.text, values ?? config.values ?? []);
      try {
        const results = (await client.query({
          ...config,
          name: undefined,
          values: undefined,
          queryMode: 'simple',
          text,
          traceText: config.text,
        } as pg.QueryConfig)) as unknown as pg.QueryResult[];
        return results[results.length - 1];
      } catch (err) {
        if (!(err instanceof pg.DatabaseError)) state.broken = err instanceof Error ? err : new Error(String(err));
        throw err;
      }
    };
    state.db = drizzlePg({ client: { query } as unknown as pg.PoolClient, schema }) as unknown as Db;
    conn = state;
    scopedConnections.set(client, conn);
  }
  conn.prefix = prefix;
  conn.broken = undefined;
  const used = conn;
  return { db: used.db, broken: () => used.broken };
}

/** A parameter as an SQL literal: untyped like a bound parameter, escaped (pg.escapeLiteral). */
function literal(value: unknown): string {
  const prepared = prepareValue(value);
  if (prepared === null) return 'NULL';
  if (Buffer.isBuffer(prepared)) return `'\\x${prepared.toString('hex')}'`;
  return pg.escapeLiteral(prepared);
}

/**
 * Replaces `$1`… in `text` by the literals of `values`, outside quoted strings, quoted identifiers,
 * comments and dollar-quoted bodies (where `$1` is text, not a parameter).
 */
export function inlineParameters(text: string, values: readonly unknown[]): string {
  if (values.length === 0) return text;
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i] as string;
    if (c === "'" || c === '"') {
      const end = closingQuote(text, i, c);
      out += text.slice(i, end);
      i = end;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += text.slice(i, stop);
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      out += text.slice(i, stop);
      i = stop;
    } else if (c === '$') {
      const digits = /^\$(\d+)/.exec(text.slice(i, i + 12));
      const tag = digits ? null : /^\$[A-Za-z_]*\$/.exec(text.slice(i, i + 64));
      if (digits) {
        const index = Number(digits[1]) - 1;
        if (index < 0 || index >= values.length) throw new Error(`no value for parameter $${digits[1]}`);
        out += literal(values[index]);
        i += digits[0].length;
      } else if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? n : end + tag[0].length;
        out += text.slice(i, stop);
        i = stop;
      } else {
        out += c;
        i += 1;
      }
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/** The index after the quote that closes the one at `start` (a doubled quote is part of the text). */
function closingQuote(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else i += 1;
  }
  return text.length;
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

function makePool(url: string, o: PostgresOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    idle_in_transaction_session_timeout: o.statementTimeoutMs,
    application_name: 'enforcement-registry',
  });
  // Without a listener an idle client's error (e.g. PostgreSQL restarting) crashes the process.
  pool.on('error', (err) => o.onPoolError?.(err));
  // The pool listens only to idle clients: a checked-out client whose connection drops between two
  // queries (say, inside a transaction) emits 'error' too, which would crash the process unheard.
  // Its next query then fails with "not queryable", which the error handler answers as a 503.
  pool.on('connect', (client) => {
    client.on('error', (err) => o.onPoolError?.(err));
    useNamedStatements(client);
  });
  releaseDeadClients(pool);
  return pool;
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

/**
 * Sends drizzle's queries as named (prepared) statements on this connection: PostgreSQL parses and
 * plans a statement text once per connection instead of on every execution. drizzle builds the same
 * text for the same query shape, so a connection holds a few dozen; texts beyond
 * MAX_NAMED_STATEMENTS, and bulk statements with more than MAX_NAMED_PARAMETERS values (an
 * import's many-row inserts), are sent unnamed, as before.
 */
function useNamedStatements(client: pg.PoolClient): void {
  const names = new Map<string, string>();
  // looked up per call, so that a wrapper installed on the prototype later (the benchmark's capture) still sees every query
  const send = (self: pg.PoolClient, ...args: unknown[]) => (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(self, args);
  (client as unknown as { query: unknown }).query = function (this: pg.PoolClient, config: unknown, ...rest: unknown[]) {
    // A statement sent with its values inlined (scopedStatements) is traced by its text with placeholders.
    const c0 = config as { text?: string; traceText?: string } | null;
    const text = typeof config === 'string' ? config : (c0?.traceText ?? c0?.text ?? '');
    let named = config;
    if (config && typeof config === 'object' && typeof (config as { text?: unknown }).text === 'string') {
      const c = config as { text: string; name?: string; queryMode?: string; values?: unknown[] };
      // drizzle passes the values beside the config: query({ text }, values)
      const values = c.values ?? (Array.isArray(rest[0]) ? rest[0] : []);
      // Bulk statements (many-row inserts, long lists) vary in text and their best plan depends on the values.
      if (!c.name && c.queryMode !== 'simple' && values.length <= MAX_NAMED_PARAMETERS) {
        let name = names.get(c.text);
        if (!name && names.size < MAX_NAMED_STATEMENTS) {
          name = `er_${names.size + 1}`;
          names.set(c.text, name);
        }
        if (name) named = { ...c, name };
      }
    }
    return traceCallbackQuery(text, rest, (args) => send(this, named, ...args));
  };
}

export async function openPostgres(o: PostgresOptions): Promise<Database & { pool: pg.Pool; readPool?: pg.Pool }> {
  const pool = makePool(o.url, o);
  const readPool = o.readUrl ? makePool(o.readUrl, o) : undefined;
  const db = drizzlePg({ client: pool, schema }) as unknown as Db;
  const replicaDb = readPool ? (drizzlePg({ client: readPool, schema }) as unknown as Db) : db;
  poolBehind.set(db, pool);
  if (readPool) poolBehind.set(replicaDb, readPool);
  const listeners: { close(): Promise<void> }[] = [];
  return {
    kind: 'postgres',
    db,
    reader: (needsPrimary) => (needsPrimary ? db : replicaDb),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    listen(channel, handlers) {
      listeners.push(listenChannel(channel, handlers, { url: o.url }));
    },
    pool,
    ...(readPool ? { readPool } : {}),
    async close() {
      await Promise.all([pool.end(), readPool?.end(), ...listeners.map((l) => l.close())]);
    },
  };
}

/**
 * A lock file beside the embedded database: PGlite lets two processes open one folder and
 * corrupt it. The lock holds the owner's pid and, on Linux, that process's start time (field 22
 * of /proc/<pid>/stat, in clock ticks since boot). It is held only while a process with that pid
 * and that start time lives: a lock left by a killed process is taken over, also when its pid has
 * since been reused by an unrelated process. A lock of an older version holds only a pid: it is
 * stale when that process started after the lock file was written. Without /proc (not Linux), a
 * live pid is taken as the owner.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const lockPath = path.join(dataDir, 'registry.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, start: processStart(process.pid) }));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLockOwner(readFileSync(lockPath, 'utf8'));
      if (owner && owner.pid !== process.pid && isHeldBy(owner, statSync(lockPath).mtimeMs)) {
        throw new DataDirLockedError(dataDir, owner.pid);
      }
      rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new DataDirLockedError(dataDir, -1);
}

interface LockOwner {
  pid: number;
  start: string | null;
}

/** `{"pid":…,"start":…}`, or a bare pid as older versions wrote it; null for anything else (stale). */
function readLockOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as { pid?: unknown; start?: unknown } | number;
    if (typeof v === 'number') return Number.isInteger(v) ? { pid: v, start: null } : null;
    if (!Number.isInteger(v.pid)) return null;
    return { pid: v.pid as number, start: typeof v.start === 'string' ? v.start : null };
  } catch {
    return null;
  }
}

/** The start time of a process (clock ticks since boot) from /proc; null where there is no /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isHeldBy(owner: LockOwner, writtenAtMs: number): boolean {
  if (!isAlive(owner.pid)) return false;
  const now = processStart(owner.pid);
  if (now === null) return true; // no /proc: the pid is all there is to go by
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
  constructor(dataDir: string, pid: number) {
    super(
      `The embedded database in ${path.resolve(dataDir)} is in use by another process (pid ${pid}). ` +
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
  /** A dump made by `dumpDataDir()`, loaded instead of running initdb (fast test start-up). */
  loadDataDir?: Blob | undefined;
}

export async function openPglite(o: PgliteOptions): Promise<Database & { client: PGlite }> {
  let release = () => {};
  if (o.dataDir) {
    mkdirSync(o.dataDir, { recursive: true });
    release = acquireDataDirLock(o.dataDir);
  }
  try {
    const client = await PGlite.create({
      ...(o.dataDir ? { dataDir: o.dataDir } : {}),
      ...(o.loadDataDir ? { loadDataDir: o.loadDataDir } : {}),
    });
    traceEmbedded(client);
    const db = drizzlePglite({ client, schema }) as unknown as Db;
    return {
      kind: 'pglite',
      db,
      reader: () => db,
      client,
      async close() {
        try {
          await client.close();
        } finally {
          release();
        }
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants the driver-specific type
    await migratePglite(database.db as any, { migrationsFolder: MIGRATIONS_DIR });
  } else {
    // biome-ignore lint/suspicious/noExplicitAny: the migrator wants the driver-specific type
    await migratePg(database.db as any, { migrationsFolder: MIGRATIONS_DIR });
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
