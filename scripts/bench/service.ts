import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../test/support/free-port.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux; clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU milliseconds used so far by every PostgreSQL process on this machine (backends, walwriter, …),
 * from /proc. Differences over a load run in which only one service is busy are that load's share.
 */
export function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') total += cpuMs(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/**
 * `url` with a plain login role in place of its user, the way production connects (docs/access.md):
 * no superuser, no BYPASSRLS, owner of nothing. The role is created when missing (on the cluster of
 * `url`, whose user must be allowed to); the service's migrations, run through
 * DATABASE_MIGRATION_URL, make it a member of registry_app.
 */
export async function plainRoleUrl(url: string, role = 'registry_bench'): Promise<string> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
        CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
      END IF; END $$`);
  } finally {
    await admin.end();
  }
  const plain = new URL(url);
  plain.username = role;
  plain.password = '';
  return plain.toString();
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
}

export interface RunningService {
  child: ChildProcess;
  baseUrl: string;
  /** Wall time from spawn to the first 200 from /health/ready. */
  readyMs: number;
  /** startupMs as the service logs it in its "ready" line (open + migrate + build + listen). */
  loggedStartupMs: number | null;
  stop(): Promise<void>;
}

/**
 * Starts the built service (`node dist/server.js` of `root`, this checkout by default) and waits until
 * /health/ready answers 200.
 * With PROFILE_DIR set, each service writes a V8 CPU profile there when it exits (open it in Chrome
 * DevTools): that is how the create path was found to be mostly idle, waiting on the audit chain.
 */
export async function startService(env: Record<string, string>, timeoutMs = 60_000, root = ROOT): Promise<RunningService> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...(process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}`] : []), path.join(root, 'dist/server.js')],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: String(port),
        HOST: '127.0.0.1',
        RATE_LIMIT_PER_MINUTE: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let loggedStartupMs: number | null = null;
  let stderr = '';
  let buffered = '';
  // The service logs every request at info level, as in production; we read and drop those lines.
  child.stdout?.on('data', (chunk: Buffer) => {
    if (loggedStartupMs !== null) return;
    buffered += chunk.toString('utf8');
    const m = /"startupMs":(\d+)/.exec(buffered);
    if (m) loggedStartupMs = Number(m[1]);
    if (buffered.length > 100_000) buffered = buffered.slice(-10_000);
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`service exited before ready: ${stderr.slice(-2000)}`);
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`service not ready after ${timeoutMs} ms: ${stderr.slice(-2000)}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health/ready`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const readyMs = performance.now() - started;
  // the ready line is written just after listen(); give the pipe a moment
  for (let i = 0; i < 50 && loggedStartupMs === null; i++) await new Promise((r) => setTimeout(r, 10));
  return {
    child,
    baseUrl,
    readyMs,
    loggedStartupMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
